// Security headers per page. Each page gets the narrowest Content-Security-Policy that lets it work.

const COMMON = {
  "X-Content-Type-Options": "nosniff",
  "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
};

const csp = (directives) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join("; ");

/** The demo shop: a merchant page that embeds the SDK. Its one inline script carries a nonce. */
export function shopHeaders({ nonce, frameOrigin }) {
  return {
    ...COMMON,
    "Content-Security-Policy": csp({
      "default-src": "'self'",
      "script-src": `'self' 'nonce-${nonce}'`,
      "style-src": "'self'",
      "img-src": "'self' data:",
      "frame-src": frameOrigin,
      "connect-src": "'self'",
      "base-uri": "'none'",
      "form-action": "'self'",
      "frame-ancestors": "'none'",
    }),
    "Referrer-Policy": "strict-origin-when-cross-origin",
  };
}

/**
 * The merchant's dashboard: talks to the API only (and to its own origin for /dev/test-key when
 * that is served), and may not be framed (clickjacking).
 */
export function dashboardHeaders({ apiOrigin, servesTestKey }) {
  return {
    ...COMMON,
    "Content-Security-Policy": csp({
      "default-src": "'self'",
      "script-src": "'self'",
      "style-src": "'self'",
      "img-src": "'self' data:",
      "connect-src": servesTestKey ? `'self' ${apiOrigin}` : apiOrigin,
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
    }),
    "Referrer-Policy": "no-referrer",
  };
}

/** The hosted payment page: scripts only from itself, requests only to the API, framed by shops. */
export function payHeaders({ apiOrigin, frameAncestors }) {
  return {
    ...COMMON,
    "Content-Security-Policy": csp({
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": "'self'",
      "img-src": "'self' data:",
      "connect-src": apiOrigin,
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": frameAncestors,
    }),
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
  };
}

// redoc 2.5.4's perfect-scrollbar <style>, empty and filled (see referenceHeaders).
const REDOC_STYLE_HASHES = ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='", "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"];

/**
 * The API reference (docs/api.html), rendered by Redoc's standalone bundle: nothing by default,
 * scripts from this origin only, and what Redoc needs beyond that:
 * - style-src 'nonce-…': Redoc's styled-components adds <style> elements. Redoc stamps them with
 *   the nonce the page hands it (src/reference/main.ts), so 'unsafe-inline' stays out. Scripts get
 *   no nonce: they all come from this origin.
 * - style-src hashes: the one <style> the bundle adds as it loads, before it has the nonce (the
 *   perfect-scrollbar CSS of its sidebar), first empty and then filled. They change only with the
 *   redoc version; tests/browser/test_api_reference.py fails on any CSP violation, and Chromium's
 *   console message names the hash to put here.
 * - worker-src blob: Redoc's search index runs in a Web Worker that the bundle makes from a Blob.
 * - connect-src 'self': Redoc fetches /docs/openapi.json; the page never calls the API itself.
 * - img-src data: the empty image build.mjs puts in place of Redocly's CDN logo.
 */
export function referenceHeaders({ nonce }) {
  return {
    ...COMMON,
    "Content-Security-Policy": csp({
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": `'self' 'nonce-${nonce}' ${REDOC_STYLE_HASHES.join(" ")}`,
      "img-src": "'self' data:",
      "connect-src": "'self'",
      "worker-src": "blob:",
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
    }),
    "Referrer-Policy": "no-referrer",
  };
}
