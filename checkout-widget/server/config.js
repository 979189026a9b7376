// Settings of the widget server, read once from the environment. Only this module reads process.env.
import { BlockList, isIP } from "node:net";

const DEFAULT_API_BASE_URL = "http://localhost:8000/api/v1";
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_TEST_API_KEY = "key_test_123";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether listening on `host` (HOST) reaches this machine only: localhost, 127.0.0.0/8 or ::1. */
export function isLoopback(host) {
  if (host === "localhost") return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? "ipv4" : "ipv6");
}

function testApiKey(value) {
  if (!value) return DEFAULT_TEST_API_KEY;
  // Only a test secret key may ever be handed to the dashboard; the message names the prefix only.
  if (!/^key_test_\S+$/.test(value)) {
    const prefix = /^(key|pk)_(test|live)_/.exec(value)?.[0];
    throw new Error(`TEST_API_KEY must be a test secret key (key_test_…), received ${prefix ? `a key starting ${prefix}` : "something else"}`);
  }
  return value;
}

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
  const host = env.HOST || DEFAULT_HOST;
  const testMode = /^(1|true|yes|on)$/i.test(env.TEST_MODE ?? "");
  return Object.freeze({
    // Loopback unless HOST says otherwise (docker-compose sets HOST=0.0.0.0 to publish the ports).
    host,
    port: mainPort,
    // The hosted payment page gets its own origin (another port), so the merchant's page can
    // never script the frame that holds card data. FRAME_PORT=PORT serves it from one origin.
    framePort: port(env.FRAME_PORT, mainPort === 0 ? 0 : mainPort + 1, "FRAME_PORT"),
    // Behind a proxy, the frame's public origin; by default the request's host name on FRAME_PORT.
    publicFrameOrigin: origin(env.PUBLIC_FRAME_ORIGIN, "PUBLIC_FRAME_ORIGIN"),
    // Where browsers reach the API (the pages call it), and where this server does (it creates the
    // demo shop's order in test mode): the same unless SERVER_API_BASE_URL says otherwise, as in
    // docker-compose, where the browser's localhost is not the container's.
    apiBaseUrl,
    serverApiBaseUrl: (env.SERVER_API_BASE_URL || apiBaseUrl).replace(/\/+$/, ""),
    apiOrigin: new URL(apiBaseUrl).origin,
    testMode,
    testApiKey: testApiKey(env.TEST_API_KEY),
    // The dashboard may fetch the test key (GET /dev/test-key) only from a server that nobody
    // else can reach: in test mode, listening on loopback. See server/test-key.js.
    servesTestKey: testMode && isLoopback(host),
    // Who may frame the payment page (CSP frame-ancestors); list your shops' origins in production.
    frameAncestors: env.FRAME_ANCESTORS || "*",
  });
}
