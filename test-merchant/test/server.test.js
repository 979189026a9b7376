'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { createReceiver } = require('../lib/server');
const v = require('../lib/verify');

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TS = 1795676400;

function signed(body, { secret = SECRET, id = JSON.parse(body).id, timestamp = TS } = {}) {
  return {
    'Content-Type': 'application/json',
    'X-Webhook-Signature': v.hexSignature(secret, Buffer.from(body)),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': v.standardSignature(secret, id, timestamp, Buffer.from(body)),
  };
}

function eventBody(id, event, data) {
  return JSON.stringify({ id, event, timestamp: TS, data });
}

async function start(t, options = {}) {
  const lines = [];
  const server = createReceiver({ secret: SECRET, log: (line) => lines.push(line), now: () => TS * 1000, ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const call = async (method, path, body, headers = {}) => {
    const res = await fetch(base + path, { method, body, headers });
    return { status: res.status, headers: res.headers, json: await res.json() };
  };
  return { lines, call };
}

test('a signed payment.success is verified, printed and listed', async (t) => {
  const { lines, call } = await start(t);
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1', amount: 50000 } });
  const res = await call('POST', '/webhook', body, signed(body));
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { received: true, duplicate: false });
  assert.deepEqual(lines, ['Verified: payment.success pay_1']);
  const { events } = (await call('GET', '/events')).json;
  assert.equal(events.length, 1);
  assert.deepEqual(
    { ...events[0], received_at: undefined },
    {
      id: 'evt_1',
      event: 'payment.success',
      received_at: undefined,
      verified: true,
      duplicate: false,
      status: 200,
      error: null,
      data: { payment: { id: 'pay_1', amount: 50000 } },
    },
  );
  assert.equal(events[0].received_at, new Date(TS * 1000).toISOString());
});

test('refunds name the refund, other events the event id', async (t) => {
  const { lines, call } = await start(t);
  const refund = eventBody('evt_2', 'refund.processed', { refund: { id: 'rfnd_1' } });
  const other = eventBody('evt_3', 'webhook.test', { message: 'hello' });
  assert.equal((await call('POST', '/webhook', refund, signed(refund))).status, 200);
  assert.equal((await call('POST', '/webhook', other, signed(other))).status, 200);
  assert.deepEqual(lines, ['Verified: refund.processed rfnd_1', 'Verified: webhook.test evt_3']);
});

test('a forged request gets 401 and is listed as unverified', async (t) => {
  const { lines, call } = await start(t);
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1' } });
  const res = await call('POST', '/webhook', body, signed(body, { secret: 'whsec_test_abc123' }));
  assert.equal(res.status, 401);
  assert.deepEqual(res.json, { error: 'invalid signature' });
  assert.deepEqual(lines, ['Forged Request (invalid signature)']);
  const { events } = (await call('GET', '/events')).json;
  assert.equal(events[0].verified, false);
  assert.equal(events[0].status, 401);
  // A forged copy must not make the real delivery a duplicate.
  assert.equal((await call('POST', '/webhook', body, signed(body))).json.duplicate, false);
});

test('a stale timestamp gets 401', async (t) => {
  const { lines, call } = await start(t);
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1' } });
  const res = await call('POST', '/webhook', body, signed(body, { timestamp: TS - 301 }));
  assert.equal(res.status, 401);
  assert.deepEqual(res.json, { error: 'stale timestamp' });
  assert.deepEqual(lines, ['Forged Request (stale timestamp)']);
});

test('the same event twice is processed once', async (t) => {
  const { lines, call } = await start(t);
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1' } });
  assert.deepEqual((await call('POST', '/webhook', body, signed(body))).json, { received: true, duplicate: false });
  const again = await call('POST', '/webhook', body, signed(body));
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { received: true, duplicate: true });
  assert.equal(lines.filter((l) => l.startsWith('Verified:')).length, 1);
  assert.match(lines[1], /^Duplicate: payment\.success pay_1/);
  const { events } = (await call('GET', '/events')).json;
  assert.deepEqual(events.map((e) => e.duplicate), [false, true]);
});

test('without webhook-id the body id de-duplicates', async (t) => {
  const { call } = await start(t);
  const body = eventBody('evt_9', 'payment.success', { payment: { id: 'pay_9' } });
  const headers = { 'X-Webhook-Signature': v.hexSignature(SECRET, Buffer.from(body)) };
  assert.equal((await call('POST', '/webhook', body, headers)).json.duplicate, false);
  assert.equal((await call('POST', '/webhook', body, headers)).json.duplicate, true);
});

test('FAIL_FIRST answers the first valid deliveries with 500, then accepts the retry', async (t) => {
  const { lines, call } = await start(t, { failFirst: 1 });
  const forged = await call('POST', '/webhook', '{}', { 'X-Webhook-Signature': '00' });
  assert.equal(forged.status, 401); // forged requests do not use up the failures
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1' } });
  assert.equal((await call('POST', '/webhook', body, signed(body))).status, 500);
  const retry = await call('POST', '/webhook', body, signed(body));
  assert.equal(retry.status, 200);
  assert.equal(retry.json.duplicate, false);
  assert.equal(lines.at(-1), 'Verified: payment.success pay_1');
});

test('a verified body that is not a JSON object gets 400', async (t) => {
  const { call } = await start(t);
  const body = '[1, 2]';
  const headers = { 'X-Webhook-Signature': v.hexSignature(SECRET, Buffer.from(body)) };
  assert.equal((await call('POST', '/webhook', body, headers)).status, 400);
});

test('DELETE /events clears the list and the de-duplication', async (t) => {
  const { call } = await start(t);
  const body = eventBody('evt_1', 'payment.success', { payment: { id: 'pay_1' } });
  await call('POST', '/webhook', body, signed(body));
  assert.deepEqual((await call('DELETE', '/events')).json, { cleared: 1 });
  assert.deepEqual((await call('GET', '/events')).json, { events: [] });
  assert.equal((await call('POST', '/webhook', body, signed(body))).json.duplicate, false);
});

test('health, unknown routes, wrong methods and oversized bodies', async (t) => {
  const { call } = await start(t);
  assert.deepEqual(await call('GET', '/health').then((r) => [r.status, r.json]), [200, { status: 'ok' }]);
  assert.equal((await call('GET', '/nope')).status, 404);
  const wrong = await call('GET', '/webhook');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assert.equal((await call('GET', '/events?x=1')).status, 200);
  const huge = 'x'.repeat(1024 * 1024 + 1);
  assert.equal((await call('POST', '/webhook', huge, { 'X-Webhook-Signature': '00' })).status, 413);
});
