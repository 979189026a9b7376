'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const v = require('../lib/verify');

// Vectors made by the gateway itself: shared.signing.headers([secret], "evt_1", 1795676400, BODY).
const BODY = Buffer.from(
  '{"id":"evt_1","event":"payment.success","timestamp":1795676400,"data":{"payment":{"id":"pay_1"}}}',
);
const TS = 1795676400;
const SEEDED = 'whsec_test_abc123';
const SEEDED_HEADERS = {
  'x-webhook-signature': '2a2d3fbc0f6aaa33805eec7166e7935ff1a651f396ab7c06fd45a7991593bdf9',
  'webhook-id': 'evt_1',
  'webhook-timestamp': String(TS),
  'webhook-signature': 'v1,a4/Q1bK+Q73VWV0m7zbEp8u8pOKU/HElUpz2GG5gIWM=',
};
const RANDOM = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RANDOM_HEADERS = {
  'x-webhook-signature': 'c48b30def816dcfae33640d1aeaae2b5f7990a32bc241ca8ed847e3c81289f1b',
  'webhook-id': 'evt_1',
  'webhook-timestamp': String(TS),
  'webhook-signature': 'v1,JsUa8A+4PpSpeEWZ4OOv05gvtss1kvyVY81idknPyFk=',
};

test('a valid delivery verifies under both schemes', () => {
  assert.equal(v.verifyRequest(RANDOM, BODY, RANDOM_HEADERS, TS), null);
  assert.equal(v.hexSignature(RANDOM, BODY), RANDOM_HEADERS['x-webhook-signature']);
  assert.equal(v.standardSignature(RANDOM, 'evt_1', TS, BODY), RANDOM_HEADERS['webhook-signature']);
});

test('the seeded secret verifies under both schemes, as the gateway signs it', () => {
  assert.equal(v.verifyRequest(SEEDED, BODY, SEEDED_HEADERS, TS), null);
  assert.equal(v.hexSignature(SEEDED, BODY), SEEDED_HEADERS['x-webhook-signature']);
  assert.equal(v.standardSignature(SEEDED, 'evt_1', TS, BODY), SEEDED_HEADERS['webhook-signature']);
});

test('the hex scheme keys the HMAC with the whole secret, prefix included', () => {
  const crypto = require('node:crypto');
  const expected = crypto.createHmac('sha256', SEEDED).update(BODY).digest('hex');
  assert.equal(v.hexSignature(SEEDED, BODY), expected);
  assert.equal(v.verifyHex(SEEDED, BODY, expected.toUpperCase()), true);
});

test('a tampered body is refused', () => {
  const tampered = Buffer.from(BODY.toString().replace('pay_1', 'pay_2'));
  assert.equal(v.verifyRequest(RANDOM, tampered, RANDOM_HEADERS, TS), 'invalid signature');
  assert.equal(v.verifyHex(RANDOM, tampered, RANDOM_HEADERS['x-webhook-signature']), false);
  const { 'x-webhook-signature': _, ...standard } = RANDOM_HEADERS;
  const parts = { id: standard['webhook-id'], timestamp: standard['webhook-timestamp'], signature: standard['webhook-signature'] };
  assert.equal(v.verifyStandard(RANDOM, tampered, parts, TS), 'invalid signature');
});

test('a wrong secret is refused', () => {
  assert.equal(v.verifyRequest(SEEDED, BODY, RANDOM_HEADERS, TS), 'invalid signature');
  assert.equal(v.verifyRequest(RANDOM, BODY, SEEDED_HEADERS, TS), 'invalid signature');
});

test('a valid hex signature with a wrong Standard Webhooks signature is refused', () => {
  const headers = { ...RANDOM_HEADERS, 'webhook-signature': SEEDED_HEADERS['webhook-signature'] };
  assert.equal(v.verifyRequest(RANDOM, BODY, headers, TS), 'invalid signature');
});

test('missing, partial or malformed signature headers are refused', () => {
  assert.equal(v.verifyRequest(RANDOM, BODY, {}, TS), 'invalid signature');
  const noHex = { ...RANDOM_HEADERS };
  delete noHex['x-webhook-signature'];
  assert.equal(v.verifyRequest(RANDOM, BODY, noHex, TS), 'invalid signature');
  const partial = { ...RANDOM_HEADERS };
  delete partial['webhook-id'];
  assert.equal(v.verifyRequest(RANDOM, BODY, partial, TS), 'invalid signature');
  for (const bad of ['', 'zz', RANDOM_HEADERS['x-webhook-signature'].slice(2), `${RANDOM_HEADERS['x-webhook-signature']}00`]) {
    assert.equal(v.verifyHex(RANDOM, BODY, bad), false, bad);
  }
  for (const bad of ['', 'v1,', 'v2,JsUa8A+4PpSpeEWZ4OOv05gvtss1kvyVY81idknPyFk=', 'JsUa8A+4PpSpeEWZ4OOv05gvtss1kvyVY81idknPyFk=']) {
    const headers = { ...RANDOM_HEADERS, 'webhook-signature': bad };
    assert.equal(v.verifyRequest(RANDOM, BODY, headers, TS), 'invalid signature', bad);
  }
  const badTs = { ...RANDOM_HEADERS, 'webhook-timestamp': '17956764e2' };
  assert.equal(v.verifyRequest(RANDOM, BODY, badTs, TS), 'invalid signature');
});

test('the hex header alone is enough when no Standard Webhooks header is sent', () => {
  assert.equal(v.verifyRequest(RANDOM, BODY, { 'x-webhook-signature': RANDOM_HEADERS['x-webhook-signature'] }, TS), null);
});

test('a timestamp more than 5 minutes old or ahead is stale', () => {
  assert.equal(v.verifyRequest(RANDOM, BODY, RANDOM_HEADERS, TS + 300), null);
  assert.equal(v.verifyRequest(RANDOM, BODY, RANDOM_HEADERS, TS - 300), null);
  assert.equal(v.verifyRequest(RANDOM, BODY, RANDOM_HEADERS, TS + 301), 'stale timestamp');
  assert.equal(v.verifyRequest(RANDOM, BODY, RANDOM_HEADERS, TS - 301), 'stale timestamp');
});

test('a stale timestamp is reported even when the signature was made for it', () => {
  const old = TS - 3600;
  const headers = {
    'x-webhook-signature': v.hexSignature(RANDOM, BODY),
    'webhook-id': 'evt_1',
    'webhook-timestamp': String(old),
    'webhook-signature': v.standardSignature(RANDOM, 'evt_1', old, BODY),
  };
  assert.equal(v.verifyRequest(RANDOM, BODY, headers, old), null);
  assert.equal(v.verifyRequest(RANDOM, BODY, headers, TS), 'stale timestamp');
});

test('during a rotation either of two signatures verifies', () => {
  // What the gateway sends right after a rotation: the new secret first, the old one second.
  const rotated = {
    id: 'evt_1',
    timestamp: String(TS),
    signature: `${RANDOM_HEADERS['webhook-signature']} ${SEEDED_HEADERS['webhook-signature']}`,
  };
  assert.equal(v.verifyStandard(RANDOM, BODY, rotated, TS), null);
  assert.equal(v.verifyStandard(SEEDED, BODY, rotated, TS), null);
  assert.equal(v.verifyStandard('whsec_c29tZXRoaW5nIGVsc2U=', BODY, rotated, TS), 'invalid signature');
});

test('the Standard Webhooks key is decoded as leniently as Python base64.b64decode(rest + "==")', () => {
  // Expected values from: base64.b64decode(rest + "==").hex() on Python 3.11 (null: Python raises).
  const cases = [
    ['whsec_test_abc123', 'b5eb2d69b735db'],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0'],
    ['whsec_aGk=aGk=', '6869'],
    ['whsec_ab-cd_ef', '69b71d79'],
    ['whsec_a b\nc d', '69b71d'],
    ['whsec_te=st', 'b5eb2d'],
    ['whsec_', ''],
    ['whsec_abcde', null],
    ['whsec_abcé', null],
  ];
  for (const [secret, expected] of cases) {
    const key = v.standardKey(secret);
    assert.equal(key === null ? null : key.toString('hex'), expected, JSON.stringify(secret));
  }
  // Node's own decoder would read `_` as URL-safe 63 and give another key.
  assert.notEqual(Buffer.from('test_abc123', 'base64').toString('hex'), 'b5eb2d69b735db');
});

test('a secret Python cannot decode never verifies the Standard Webhooks headers', () => {
  const headers = { ...RANDOM_HEADERS, 'x-webhook-signature': v.hexSignature('whsec_abcde', BODY) };
  assert.equal(v.verifyRequest('whsec_abcde', BODY, headers, TS), 'invalid signature');
  assert.throws(() => v.standardSignature('whsec_abcde', 'evt_1', TS, BODY), /not usable/);
});
