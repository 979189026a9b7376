// Request handling for the two origins: "main" (SDK, demo shop, dashboard) and "frame" (hosted
// payment page). With FRAME_PORT equal to PORT one listener plays both roles.
import { randomBytes } from "node:crypto";
import { demoOrderKeeper } from "./demo-order.js";
import { DASHBOARD_PAGES, FRAME_FILES, MAIN_FILES, load } from "./files.js";
import { dashboardHeaders, payHeaders, referenceHeaders, shopHeaders } from "./headers.js";
import { TEST_KEY_PATH, testKeyReply } from "./test-key.js";

// The marker in dist/checkout.js that becomes the hosted page's URL (see src/checkout.ts).
const FRAME_URL_MARKER = "%%PGW_FRAME_URL%%";
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

function hostname(req) {
  const match = HOST.exec(req.headers.host ?? "");
  return match ? match[1] : "localhost";
}

function send(req, res, status, headers, body) {
  res.writeHead(status, { "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(req.method === "HEAD" ? undefined : body);
}

// Any site can load this with a <script> tag and read what it sets: never put a secret in it. The
// dashboard fetches the test key from TEST_KEY_PATH instead (see test-key.js).
function configScript(config, servesMain) {
  const data = {
    apiBaseUrl: config.apiBaseUrl,
    testMode: config.testMode,
    testKeyUrl: servesMain && config.servesTestKey ? TEST_KEY_PATH : "",
  };
  // "<" escaped so that no value can close a <script> element it is inlined into.
  return `window.__PGW_CONFIG__ = Object.freeze(${JSON.stringify(data).replace(/</g, "\\u003c")});\n`;
}

/**
 * @param config   see config.js
 * @param roles    which origins this listener serves: ["main"], ["frame"] or both
 * @param ports    () => ({ main, frame }): the ports actually bound (they may be ephemeral)
 * @param deps     { fetch, log }: what the server calls the gateway with and logs to (tests pass fakes)
 */
export function createHandler(config, roles, ports, { fetch = globalThis.fetch, log = console } = {}) {
  const serves = (role) => roles.includes(role);
  // In test mode the demo shop's order_999 is an order made through the API (see demo-order.js).
  const ensureDemoOrder =
    config.testMode && serves("main") ? demoOrderKeeper({ baseUrl: config.serverApiBaseUrl, key: config.testApiKey, fetch }, log) : null;

  function frameOrigin(req) {
    if (config.publicFrameOrigin) return config.publicFrameOrigin;
    const { frame } = ports();
    const host = hostname(req);
    return `http://${host}:${frame}`;
  }

  return async function handle(req, res) {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(req, res, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }, "Method not allowed\n");
    }
    if (path === "/healthz") return send(req, res, 200, { "Content-Type": "application/json" }, `{"ok":true,"roles":${JSON.stringify(roles)}}`);
    if (path === "/config.js") {
      return send(req, res, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }, configScript(config, serves("main")));
    }
    if (path === TEST_KEY_PATH && serves("main")) {
      const reply = testKeyReply(config, req.headers);
      if (reply) return send(req, res, reply.status, reply.headers, reply.body);
    }
    if (path === "/" && serves("main")) return send(req, res, 302, { Location: "/checkout.html" }, "");
    if ((path === "/docs" || path === "/docs/") && serves("main")) return send(req, res, 302, { Location: "/docs/api.html" }, "");

    const entry = (serves("main") && MAIN_FILES[path]) || (serves("frame") && FRAME_FILES[path]);
    if (!entry) return send(req, res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "Not found\n");
    const content = await load(entry);
    if (content === null) {
      return send(req, res, 503, { "Content-Type": "text/plain; charset=utf-8" }, `${path} is not built yet: run "npm run build" in checkout-widget/\n`);
    }

    const headers = { "Content-Type": entry.type, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" };
    let body = content;
    if (path === "/checkout.js") {
      body = content.toString("utf8").replace(FRAME_URL_MARKER, `${frameOrigin(req)}/pay.html`);
      // Merchants load it cross-origin; CORS lets them add Subresource Integrity (crossorigin="anonymous").
      headers["Access-Control-Allow-Origin"] = "*";
      headers["Cache-Control"] = "no-cache";
    } else if (path === "/checkout.html") {
      // Before the page: its snippet opens checkout for order_999 as soon as the shopper clicks.
      if (ensureDemoOrder && req.method === "GET") await ensureDemoOrder();
      const nonce = randomBytes(16).toString("base64");
      body = content.toString("utf8").replaceAll("{{NONCE}}", nonce);
      Object.assign(headers, shopHeaders({ nonce, frameOrigin: frameOrigin(req) }), { "Cache-Control": "no-store" });
    } else if (path === "/docs/api.html") {
      const nonce = randomBytes(16).toString("base64");
      body = content.toString("utf8").replaceAll("{{NONCE}}", nonce);
      Object.assign(headers, referenceHeaders({ nonce }), { "Cache-Control": "no-store" });
    } else if (DASHBOARD_PAGES.includes(path)) {
      Object.assign(headers, dashboardHeaders(config), { "Cache-Control": "no-store" });
    } else if (path === "/pay.html") {
      Object.assign(headers, payHeaders(config), { "Cache-Control": "no-store" });
    }
    return send(req, res, 200, headers, body);
  };
}
