#!/usr/bin/env node
'use strict';
/**
 * The test merchant: receives the gateway's webhooks on POST /webhook and verifies their signatures.
 *
 *   PORT=4000 WEBHOOK_SECRET=whsec_test_abc123 node webhook-receiver.js
 *
 * See README.md for the routes and what it prints.
 */
const { readConfig, maskSecret } = require('./lib/config');
const { createReceiver } = require('./lib/server');

let config;
try {
  config = readConfig(process.env);
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

const server = createReceiver({ secret: config.secret, failFirst: config.failFirst });

// No host: Node listens on :: with IPv4 mapped in (or 0.0.0.0 without IPv6), so `localhost`
// works whether it resolves to ::1 or 127.0.0.1.
server.listen(config.port, () => {
  const { port } = server.address();
  const failing = config.failFirst ? `, failing the first ${config.failFirst} deliveries` : '';
  console.log(`Test merchant listening on http://localhost:${port}/webhook (secret ${maskSecret(config.secret)}${failing})`);
});

server.on('error', (err) => {
  console.error(`Cannot listen on port ${config.port}: ${err.message}`);
  process.exit(1);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
