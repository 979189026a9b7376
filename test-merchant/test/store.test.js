'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { EventStore } = require('../lib/store');

test('entries are listed oldest first with the documented fields', () => {
  const store = new EventStore();
  const receivedAt = new Date('2026-01-02T03:04:05.000Z');
  store.add({ id: 'evt_1', event: 'payment.success', verified: true, status: 200, data: { a: 1 }, receivedAt });
  store.add({ id: 'evt_2', event: 'refund.processed', verified: false, status: 401, error: 'invalid signature' });
  const [first, second] = store.list();
  assert.deepEqual(first, {
    id: 'evt_1',
    event: 'payment.success',
    received_at: '2026-01-02T03:04:05.000Z',
    verified: true,
    duplicate: false,
    status: 200,
    error: null,
    data: { a: 1 },
  });
  assert.equal(second.id, 'evt_2');
  assert.equal(second.error, 'invalid signature');
});

test('an event id is a duplicate only once processed', () => {
  const store = new EventStore();
  assert.equal(store.isDuplicate('evt_1'), false);
  store.markProcessed('evt_1');
  assert.equal(store.isDuplicate('evt_1'), true);
  assert.equal(store.isDuplicate('evt_2'), false);
  store.markProcessed(null);
  assert.equal(store.isDuplicate(null), false);
  assert.equal(store.isDuplicate(''), false);
});

test('clear forgets the entries and the processed ids', () => {
  const store = new EventStore();
  store.markProcessed('evt_1');
  store.add({ id: 'evt_1', verified: true, status: 200 });
  store.clear();
  assert.deepEqual(store.list(), []);
  assert.equal(store.isDuplicate('evt_1'), false);
});

test('the store is bounded, dropping the oldest first', () => {
  const store = new EventStore({ maxEvents: 2, maxSeenIds: 2 });
  for (const id of ['evt_1', 'evt_2', 'evt_3']) {
    store.markProcessed(id);
    store.add({ id, verified: true, status: 200 });
  }
  assert.deepEqual(store.list().map((e) => e.id), ['evt_2', 'evt_3']);
  assert.equal(store.isDuplicate('evt_1'), false);
  assert.equal(store.isDuplicate('evt_3'), true);
});
