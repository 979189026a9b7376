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
