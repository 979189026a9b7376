// The checkout widget's server: `node server.js`. PORT (default 3001) serves the SDK, the demo
// shop and the webhook dashboard; FRAME_PORT (default PORT + 1) serves the hosted payment page on
// its own origin. Both listen on 127.0.0.1 unless HOST says otherwise. See server/config.js for
// every setting.
import { createServer } from "node:http";
import { createHandler } from "./server/app.js";
import { fromEnv } from "./server/config.js";

const config = fromEnv(process.env);
const bound = { main: config.port, frame: config.framePort };
const ports = () => bound;
const single = config.framePort === config.port && config.port !== 0;

function listen(roles, port) {
  const handler = createHandler(config, roles, ports);
  const server = createServer((req, res) => {
    handler(req, res).catch((error) => {
      console.error(`[checkout-widget] ${req.method} ${req.url} failed:`, error);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Internal error\n");
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.host, () => resolve(server));
  });
}

const servers = [];
try {
  servers.push(await listen(single ? ["main", "frame"] : ["main"], config.port));
  bound.main = servers[0].address().port;
  if (!single) {
    servers.push(await listen(["frame"], config.framePort));
    bound.frame = servers[1].address().port;
  } else {
    bound.frame = bound.main;
  }
} catch (error) {
  console.error(`[checkout-widget] cannot listen: ${error.message}`);
  process.exit(1);
}

console.log(
  `[checkout-widget] shop http://localhost:${bound.main}/checkout.html · dashboard http://localhost:${bound.main}/dashboard-webhooks.html · ` +
    `payment frame on port ${bound.frame} · listening on ${config.host} · API ${config.apiBaseUrl}` +
    `${config.testMode ? ` · test mode${config.servesTestKey ? "" : " (dashboard key not prefilled: HOST is not loopback)"}` : ""}`,
);

function stop() {
  for (const server of servers) {
    server.close();
    server.closeAllConnections?.();
  }
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
