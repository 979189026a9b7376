// Settings of the widget server, read once from the environment. Only this module reads process.env.

const DEFAULT_API_BASE_URL = "http://localhost:8000/api/v1";

function port(value, fallback, name) {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, received ${JSON.stringify(value)}`);
  return n;
}

function origin(value, name) {
  if (!value) return null;
  const url = new URL(value);
  if (url.origin !== value.replace(/\/+$/, "")) throw new Error(`${name} must be an origin like http://localhost:3002, received ${value}`);
  return url.origin;
}

/** @param {Record<string, string | undefined>} env */
export function fromEnv(env) {
  const mainPort = port(env.PORT, 3001, "PORT");
  const apiBaseUrl = (env.API_BASE_URL || DEFAULT_API_BASE_URL).replace(/\/+$/, "");
  return Object.freeze({
    host: env.HOST || undefined,
    port: mainPort,
    // The hosted payment page gets its own origin (another port), so the merchant's page can
    // never script the frame that holds card data. FRAME_PORT=PORT serves it from one origin.
    framePort: port(env.FRAME_PORT, mainPort === 0 ? 0 : mainPort + 1, "FRAME_PORT"),
    // Behind a proxy, the frame's public origin; by default the request's host name on FRAME_PORT.
    publicFrameOrigin: origin(env.PUBLIC_FRAME_ORIGIN, "PUBLIC_FRAME_ORIGIN"),
    apiBaseUrl,
    apiOrigin: new URL(apiBaseUrl).origin,
    testMode: /^(1|true|yes|on)$/i.test(env.TEST_MODE ?? ""),
    testApiKey: env.TEST_API_KEY || "key_test_123",
    // Who may frame the payment page (CSP frame-ancestors); list your shops' origins in production.
    frameAncestors: env.FRAME_ANCESTORS || "*",
  });
}
