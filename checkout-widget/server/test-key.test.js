import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Script } from "node:vm";
import { createHandler } from "./app.js";
import { fromEnv } from "./config.js";

/** A widget server on an ephemeral loopback port, as server.js runs it with FRAME_PORT=PORT. */
async function serve(env, roles = ["main", "frame"]) {
  const config = fromEnv({ PORT: "0", FRAME_PORT: "0", API_BASE_URL: "http://127.0.0.1:9/api/v1", ...env });
  const handler = createHandler(config, roles, () => ({ main: 0, frame: 0 }));
  const server = createServer((req, res) => void handler(req, res));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: server.address().port };
}

/** GET with exactly these headers (Host included), as a browser or an attacker would send them. */
function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An HTTP/1.0 request with no Host header at all (node's client always adds one). */
function getWithoutHost(port, path) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(`GET ${path} HTTP/1.0\r\nSec-Fetch-Site: same-origin\r\n\r\n`));
    let raw = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (raw += chunk));
    socket.on("end", () => resolve({ status: Number(raw.split(" ")[1]), body: raw.slice(raw.indexOf("\r\n\r\n") + 4) }));
    socket.on("error", reject);
  });
}

const SAME_ORIGIN_FETCH = { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" };

describe("GET /dev/test-key in test mode on loopback", () => {
  let served;
  before(async () => {
    served = await serve({ TEST_MODE: "true", HOST: "127.0.0.1", TEST_API_KEY: "key_test_abc123" });
  });
  after(() => served.server.close());

  it("gives the dashboard's own fetch() the key, uncached, with no CORS headers", async () => {
    for (const host of [`127.0.0.1:${served.port}`, `localhost:${served.port}`, `[::1]:${served.port}`, "localhost"]) {
      const res = await get(served.port, "/dev/test-key", { ...SAME_ORIGIN_FETCH, host });
      assert.equal(res.status, 200, host);
      assert.deepEqual(JSON.parse(res.body), { key: "key_test_abc123", mode: "test" });
      assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
      assert.equal(res.headers["cache-control"], "no-store");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["cross-origin-resource-policy"], "same-origin");
      assert.deepEqual(Object.keys(res.headers).filter((name) => name.startsWith("access-control-")), []);
    }
  });

  it("answers a client without Fetch Metadata (curl on this machine) too", async () => {
    const res = await get(served.port, "/dev/test-key");
    assert.equal(res.status, 200);
  });

  it("is JSON that is not JavaScript: a <script> that loaded it would only get a syntax error", async () => {
    const { body } = await get(served.port, "/dev/test-key", SAME_ORIGIN_FETCH);
    assert.throws(() => new Script(body), SyntaxError);
  });

  it("refuses requests from other sites and origins, and anything but fetch()", async () => {
    const refused = [
      { ...SAME_ORIGIN_FETCH, "sec-fetch-site": "cross-site" },
      { ...SAME_ORIGIN_FETCH, "sec-fetch-site": "same-site" }, // another port of 127.0.0.1
      { ...SAME_ORIGIN_FETCH, "sec-fetch-site": "none" }, // typed into the address bar
      { ...SAME_ORIGIN_FETCH, "sec-fetch-site": "cross-site", "sec-fetch-dest": "script", "sec-fetch-mode": "no-cors" },
      { ...SAME_ORIGIN_FETCH, "sec-fetch-dest": "script" }, // even from our own pages
      { ...SAME_ORIGIN_FETCH, "sec-fetch-dest": "document" },
    ];
    for (const headers of refused) {
      const res = await get(served.port, "/dev/test-key", headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(JSON.parse(res.body).error.code, "FORBIDDEN");
      assert.ok(!res.body.includes("key_test_abc123"));
      assert.equal(res.headers["cache-control"], "no-store");
      assert.equal(res.headers["access-control-allow-origin"], undefined);
    }
  });

  it("refuses a Host that is not loopback, as after DNS rebinding", async () => {
    for (const host of [`attacker.example:${served.port}`, "attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example", "0.0.0.0", "127.0.0.1 x"]) {
      const res = await get(served.port, "/dev/test-key", { ...SAME_ORIGIN_FETCH, host });
      assert.equal(res.status, 403, `Host: ${host}`);
      assert.ok(!res.body.includes("key_test_abc123"), host);
    }
    const hostless = await getWithoutHost(served.port, "/dev/test-key");
    assert.equal(hostless.status, 403);
    assert.ok(!hostless.body.includes("key_test_abc123"));
  });

  it("keeps the key out of /config.js, which only says where to fetch it", async () => {
    const res = await get(served.port, "/config.js");
    assert.match(res.body, /"testKeyUrl":"\/dev\/test-key"/);
    assert.ok(!res.body.includes("key_test_abc123"));
  });
});

describe("GET /dev/test-key elsewhere", () => {
  for (const [what, env, roles] of [
    ["with TEST_MODE off", { HOST: "127.0.0.1" }],
    ["when listening on every interface", { TEST_MODE: "true", HOST: "0.0.0.0" }],
    ["on the payment frame's origin", { TEST_MODE: "true", HOST: "127.0.0.1" }, ["frame"]],
  ]) {
    it(`is a plain 404 ${what}, and /config.js does not point to it`, async () => {
      const { server, port } = await serve(env, roles);
      try {
        const res = await get(port, "/dev/test-key", SAME_ORIGIN_FETCH);
        assert.equal(res.status, 404);
        assert.equal(res.body, "Not found\n");
        const config = await get(port, "/config.js");
        assert.match(config.body, /"testKeyUrl":""/);
        assert.ok(!/key_(test|live)_\w/.test(config.body));
      } finally {
        server.close();
      }
    });
  }
});
