'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { readConfig, maskSecret, DEFAULT_SECRET } = require('../lib/config');

test('defaults: port 4000, the seeded secret, no forced failures', () => {
  assert.deepEqual(readConfig({}), { port: 4000, secret: DEFAULT_SECRET, isDefaultSecret: true, failFirst: 0 });
  assert.equal(DEFAULT_SECRET, 'whsec_test_abc123');
});

test('PORT, WEBHOOK_SECRET and FAIL_FIRST come from the environment mapping', () => {
  const config = readConfig({ PORT: '4100', WEBHOOK_SECRET: 'whsec_abc', FAIL_FIRST: '2' });
  assert.deepEqual(config, { port: 4100, secret: 'whsec_abc', isDefaultSecret: false, failFirst: 2 });
});

test('unusable numbers are refused with the variable named', () => {
  assert.throws(() => readConfig({ PORT: 'http' }), /PORT must be an integer from 0 to 65535, got "http"/);
  assert.throws(() => readConfig({ PORT: '70000' }), /PORT/);
  assert.throws(() => readConfig({ FAIL_FIRST: '-1' }), /FAIL_FIRST/);
});

test('secrets other than the seeded one are masked in logs', () => {
  assert.equal(maskSecret(DEFAULT_SECRET), DEFAULT_SECRET);
  assert.equal(maskSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'whsec_MfKQ…LaSw');
  assert.equal(maskSecret('whsec_short'), 'whsec_…');
});
