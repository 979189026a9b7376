'use strict';
/** The receiver's settings, read from an environment mapping passed in (never process.env here). */

const DEFAULT_PORT = 4000;
const DEFAULT_SECRET = 'whsec_test_abc123'; // the seeded endpoint's secret (shared/seed.py)

function integer(env, name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Settings from `env`; throws an Error naming the variable when a value is unusable. */
function readConfig(env) {
  const secret = env.WEBHOOK_SECRET || DEFAULT_SECRET;
  return {
    port: integer(env, 'PORT', DEFAULT_PORT, 0, 65535),
    secret,
    isDefaultSecret: secret === DEFAULT_SECRET,
    failFirst: integer(env, 'FAIL_FIRST', 0, 0, 1_000_000),
  };
}

/** The secret as it may appear in logs: the seeded one in full, any other masked. */
function maskSecret(secret) {
  if (secret === DEFAULT_SECRET) return secret;
  return secret.length > 16 ? `${secret.slice(0, 10)}…${secret.slice(-4)}` : 'whsec_…';
}

module.exports = { DEFAULT_PORT, DEFAULT_SECRET, readConfig, maskSecret };
