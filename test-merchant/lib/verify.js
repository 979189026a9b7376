'use strict';
/**
 * Webhook signature checks, as pure functions: the seed's hex HMAC header and Standard Webhooks v1.
 *
 * Nothing here reads the environment, the clock or the network: callers pass the secret, the raw
 * body, the headers and `nowS`, so the tests can pin every input.
 */
const crypto = require('node:crypto');

const SECRET_PREFIX = 'whsec_';
const TOLERANCE_S = 5 * 60;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64_ALPHABET].map((ch, i) => [ch, i]));

/** Hex HMAC-SHA256 of the raw body keyed by the WHOLE secret string, `whsec_` included. */
function hexSignature(secret, rawBody) {
  return crypto.createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** True when `a` and `b` are the same bytes; constant time for equal lengths. */
function safeEqual(a, b) {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Whether `header` (the X-Webhook-Signature value) is the hex HMAC of `rawBody` under `secret`. */
function verifyHex(secret, rawBody, header) {
  if (typeof header !== 'string' || !/^[0-9a-fA-F]{64}$/.test(header.trim())) return false;
  const expected = Buffer.from(hexSignature(secret, rawBody), 'hex');
  return safeEqual(expected, Buffer.from(header.trim(), 'hex'));
}

/**
 * Python 3.11's `binascii.a2b_base64(data, strict_mode=False)`, which `base64.b64decode` uses.
 *
 * Node's `Buffer.from(x, 'base64')` is lenient differently: it reads `-` and `_` as the URL-safe
 * 62 and 63, where Python drops them, so `whsec_test_abc123` would give another key. Python also
 * stops at the `=` that completes a quad and refuses a lone trailing character; both are mirrored.
 * Returns null where Python raises (non-ASCII input, or data characters one more than a multiple
 * of 4), so a receiver treats that secret as having no Standard Webhooks key at all.
 */
function lenientBase64Decode(text) {
  if (/[^\x00-\x7f]/.test(text)) return null;
  const out = [];
  let quadPos = 0;
  let left = 0;
  let pads = 0;
  for (const ch of text) {
    if (ch === '=') {
      // Pads count only once two data characters are in; a complete pad ends the data (3.11/3.12).
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Buffer.from(out);
      continue;
    }
    const v = BASE64_VALUE.get(ch);
    if (v === undefined) continue;
    pads = 0;
    if (quadPos === 0) {
      left = v;
    } else if (quadPos === 1) {
      out.push(((left << 2) | (v >> 4)) & 0xff);
      left = v & 0x0f;
    } else if (quadPos === 2) {
      out.push(((left << 4) | (v >> 2)) & 0xff);
      left = v & 0x03;
    } else {
      out.push(((left << 6) | v) & 0xff);
    }
    quadPos = (quadPos + 1) % 4;
  }
  // Python: 1 leftover character is an error, 2 or 3 without their pads is "Incorrect padding".
  return quadPos === 0 ? Buffer.from(out) : null;
}

/**
 * The Standard Webhooks key: the secret after `whsec_`, decoded exactly as the Python
 * `standardwebhooks` package and the gateway do (`base64.b64decode(rest + "==")`); null if Python
 * would refuse it.
 */
function standardKey(secret) {
  const rest = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return lenientBase64Decode(`${rest}==`);
}

/** One `v1,<base64>` signature over `${id}.${timestamp}.${rawBody}`. */
function standardSignature(secret, messageId, timestamp, rawBody) {
  const key = standardKey(secret);
  if (key === null) throw new Error(`secret is not usable as a Standard Webhooks key: ${SECRET_PREFIX}…`);
  const digest = crypto
    .createHmac('sha256', key)
    .update(`${messageId}.${timestamp}.`)
    .update(rawBody)
    .digest('base64');
  return `v1,${digest}`;
}

/**
 * Check the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
 * Returns null when they verify, else the reason: 'stale timestamp' or 'invalid signature'.
 * Any one of the space-separated `v1,` signatures may match (two are sent during a rotation).
 */
function verifyStandard(secret, rawBody, { id, timestamp, signature }, nowS) {
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return 'invalid signature';
  // Time first, like the reference libraries: a replayed old delivery is stale whatever it carries.
  if (Math.abs(nowS - Number(timestamp)) > TOLERANCE_S) return 'stale timestamp';
  const key = standardKey(secret);
  if (key === null) return 'invalid signature';
  const expected = Buffer.from(standardSignature(secret, id, timestamp, rawBody).slice(3), 'base64');
  for (const candidate of signature.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    if (safeEqual(expected, Buffer.from(value, 'base64'))) return null;
  }
  return 'invalid signature';
}

/**
 * Verify one delivery: X-Webhook-Signature is required; the Standard Webhooks headers are checked
 * too when any of them is present. `headers` uses Node's lower-case names.
 * Returns null when verified, else 'invalid signature' or 'stale timestamp'.
 */
function verifyRequest(secret, rawBody, headers, nowS) {
  if (!verifyHex(secret, rawBody, headers['x-webhook-signature'])) return 'invalid signature';
  const standard = {
    id: headers['webhook-id'],
    timestamp: headers['webhook-timestamp'],
    signature: headers['webhook-signature'],
  };
  if (standard.id === undefined && standard.timestamp === undefined && standard.signature === undefined) {
    return null;
  }
  return verifyStandard(secret, rawBody, standard, nowS);
}

module.exports = {
  SECRET_PREFIX,
  TOLERANCE_S,
  hexSignature,
  verifyHex,
  lenientBase64Decode,
  standardKey,
  standardSignature,
  verifyStandard,
  verifyRequest,
};
