'use strict';
/**
 * The HTTP side: POST /webhook verifies and records a delivery; GET and DELETE /events show and
 * clear what arrived; GET /health says it is up. Built on node:http, no framework.
 */
const http = require('node:http');
const { verifyRequest } = require('./verify');
const { EventStore } = require('./store');

const MAX_BODY_BYTES = 1024 * 1024;

function sendJson(res, status, payload, headers = {}) {
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers });
  res.end(body);
}

/** Collect the raw request bytes (hashing re-serialised JSON would break the signature). */
function readRawBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping bytes; the 413 goes out with Connection: close, which ends the upload.
        chunks.length = 0;
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonObject(rawBody) {
  try {
    const value = JSON.parse(rawBody.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** What a log line names: the payment or refund id, else the event id. */
function subjectOf(body, eventId) {
  const data = body && typeof body.data === 'object' && body.data !== null ? body.data : {};
  return data.payment?.id ?? data.refund?.id ?? body?.id ?? eventId ?? '-';
}

/**
 * An http.Server (not yet listening) that receives webhooks signed with `secret`.
 * `failFirst` answers that many valid, new deliveries with 500, to show the gateway's retries.
 */
function createReceiver({ secret, failFirst = 0, store = new EventStore(), log = console.log, now = Date.now }) {
  let failuresLeft = failFirst;

  async function receiveWebhook(req, res) {
    const rawBody = await readRawBody(req, MAX_BODY_BYTES);
    const receivedAt = new Date(now());
    const body = parseJsonObject(rawBody);
    // webhook-id is the event id on every retry; the body's id is the fallback for hex-only senders.
    const eventId = req.headers['webhook-id'] || (typeof body?.id === 'string' ? body.id : null);
    const entry = {
      id: eventId,
      event: typeof body?.event === 'string' ? body.event : null,
      data: body?.data ?? null,
      receivedAt,
    };

    const reason = verifyRequest(secret, rawBody, req.headers, Math.floor(receivedAt.getTime() / 1000));
    if (reason !== null) {
      store.add({ ...entry, verified: false, status: 401, error: reason });
      log(`Forged Request (${reason})`);
      return sendJson(res, 401, { error: reason });
    }
    if (body === null) {
      store.add({ ...entry, verified: true, status: 400, error: 'body is not a JSON object' });
      log('Verified, but the body is not a JSON object');
      return sendJson(res, 400, { error: 'body is not a JSON object' });
    }
    const label = `${entry.event} ${subjectOf(body, eventId)}`;
    if (store.isDuplicate(eventId)) {
      store.add({ ...entry, verified: true, duplicate: true, status: 200 });
      log(`Duplicate: ${label} (event ${eventId} already processed)`);
      return sendJson(res, 200, { received: true, duplicate: true });
    }
    if (failuresLeft > 0) {
      // Not marked processed: the gateway's retry of this event must be accepted.
      failuresLeft -= 1;
      store.add({ ...entry, verified: true, status: 500, error: 'FAIL_FIRST' });
      log(`Failing on purpose (FAIL_FIRST, ${failuresLeft} left): ${label}`);
      return sendJson(res, 500, { error: 'failing on purpose (FAIL_FIRST)' });
    }
    store.markProcessed(eventId);
    store.add({ ...entry, verified: true, status: 200 });
    log(`Verified: ${label}`);
    return sendJson(res, 200, { received: true, duplicate: false });
  }

  const routes = {
    '/webhook': { POST: receiveWebhook },
    '/events': {
      GET: (req, res) => sendJson(res, 200, { events: store.list() }),
      DELETE: (req, res) => {
        const cleared = store.list().length;
        store.clear();
        sendJson(res, 200, { cleared });
      },
    },
    '/health': { GET: (req, res) => sendJson(res, 200, { status: 'ok' }) },
  };

  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://receiver.invalid');
    const methods = routes[pathname];
    if (!methods) return sendJson(res, 404, { error: 'not found' });
    const handler = methods[req.method];
    if (!handler) return sendJson(res, 405, { error: 'method not allowed' }, { Allow: Object.keys(methods).join(', ') });
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err) => {
        if (err.status === 413) return sendJson(res, 413, { error: 'body too large' }, { Connection: 'close' });
        log(`Error: ${err.stack || err}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      });
  });
}

module.exports = { createReceiver, MAX_BODY_BYTES };
