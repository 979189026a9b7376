// GET /dev/test-key: the test secret key (TEST_API_KEY), so that the dashboard can fill itself in
// in test mode. A secret key can refund payments, so it is never written into a page or script
// (any site can load /config.js with a <script> tag and read what it sets). It is handed out here
// only, and only to the dashboard's own fetch():
// - only when TEST_MODE is on and the server listens on loopback (config.servesTestKey); else the
//   path is a plain 404, like any unknown one.
// - No Access-Control-* headers: a fetch() from another origin gets a CORS error, never the body.
// - Sec-Fetch-Site, when the browser sends it, must be same-origin, and Sec-Fetch-Dest must be
//   empty (fetch or XHR): a <script>, <img> or <iframe> on another site (other ports of 127.0.0.1
//   are "same-site", not same-origin), or the URL typed into a tab, is refused before any key is
//   produced. Browsers without Fetch Metadata still have CORS and the checks below.
// - The Host header must name loopback. After DNS rebinding (attacker.example re-resolved to
//   127.0.0.1) the attacker's page is same-origin with this server as far as the browser knows,
//   but its requests still say Host: attacker.example.
// - The body is a JSON object, which is a syntax error as a classic script (`{"key": …}` parses
//   as a block whose first statement is a string followed by ":"), so a <script> that somehow
//   got it could not run it, let alone observe the value. application/json with nosniff and
//   Cross-Origin-Resource-Policy: same-origin also make the browser withhold it from another
//   origin's <script> or <img>.
// - Cache-Control: no-store, so no cache keeps it for a later visitor.
import { isLoopback } from "./config.js";

export const TEST_KEY_PATH = "/dev/test-key";

const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
const HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function isLoopbackHostHeader(value) {
  const match = HOST_HEADER.exec(value ?? "");
  if (!match) return false;
  const name = match[1].toLowerCase();
  return isLoopback(name.startsWith("[") ? name.slice(1, -1) : name);
}

/** Why this request may not have the key, or null when it may. */
function refusal(headers) {
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return "only this server's own pages may read the test key (Sec-Fetch-Site: same-origin)";
  const dest = headers["sec-fetch-dest"];
  if (dest !== undefined && dest !== "empty") return "the test key is read with fetch(), not loaded as a page, script or image (Sec-Fetch-Dest: empty)";
  if (!isLoopbackHostHeader(headers.host)) return "the test key is served only under a loopback host name: localhost, 127.0.0.1 or [::1]";
  return null;
}

const reply = (status, body) => ({ status, headers: HEADERS, body: `${JSON.stringify(body)}\n` });

/**
 * The answer to GET /dev/test-key, or null when this server does not serve it (a 404).
 * @param config   see config.js
 * @param headers  the request's headers (node's IncomingMessage.headers: lower-case names)
 */
export function testKeyReply(config, headers) {
  if (!config.servesTestKey) return null;
  const reason = refusal(headers);
  if (reason) return reply(403, { error: { code: "FORBIDDEN", description: reason, field: null } });
  // An object at the top level, never an array or a bare string: see the note on <script> above.
  return reply(200, { key: config.testApiKey, mode: "test" });
}
