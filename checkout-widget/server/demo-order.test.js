import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import { createHandler } from "./app.js";
import { fromEnv } from "./config.js";
import { DEMO_ORDER, demoOrderKeeper, ensureDemoOrder } from "./demo-order.js";

const BASE = "http://api.test/api/v1";
const KEY = "key_test_123";
const order = (fields) => ({ id: "order_A", entity: "order", receipt: "order_999", amount: 50000, currency: "INR", status: "created", ...fields });

/** A fake gateway: answers from `routes` ("GET /orders/order_999" → [status, body]) and records each call. */
function fakeFetch(routes) {
  const calls = [];
  const fetch = async (url, init) => {
    const path = url.slice(BASE.length);
    calls.push({ method: init.method, path, key: init.headers["X-Api-Key"], body: init.body ? JSON.parse(init.body) : undefined });
    const answer = routes[`${init.method} ${path}`];
    if (!answer) throw new TypeError("fetch failed");
    const [status, body] = typeof answer === "function" ? await answer() : answer;
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };
  return { fetch, calls };
}

describe("ensureDemoOrder", () => {
  it("leaves an unpaid order_999 for ₹500.00 as it is", async () => {
    const { fetch, calls } = fakeFetch({ "GET /orders/order_999": [200, order({ status: "attempted" })] });
    assert.deepEqual(await ensureDemoOrder({ baseUrl: BASE, key: KEY, fetch }), { outcome: "found", id: "order_A" });
    assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ["GET /orders/order_999"]);
    assert.equal(calls[0].key, KEY);
  });

  it("creates the order when there is none, or the newest one is paid or for another amount", async () => {
    for (const answer of [[404, { error: { code: "NOT_FOUND_ERROR" } }], [200, order({ status: "paid" })], [200, order({ amount: 100 })]]) {
      const { fetch, calls } = fakeFetch({ "GET /orders/order_999": answer, "POST /orders": [201, order({ id: "order_B" })] });
      assert.deepEqual(await ensureDemoOrder({ baseUrl: BASE, key: KEY, fetch }), { outcome: "created", id: "order_B" }, JSON.stringify(answer));
      assert.equal(calls[1].method, "POST");
      assert.equal(calls[1].key, KEY);
      assert.deepEqual({ ...calls[1].body, notes: undefined }, { ...DEMO_ORDER, notes: undefined });
    }
  });

  it("reports an unreachable, failing or slow gateway instead of throwing", async () => {
    const cases = [
      [{}, /cannot be reached/],
      [{ "GET /orders/order_999": [500, {}] }, /HTTP 500/],
      [{ "GET /orders/order_999": [404, {}], "POST /orders": [400, {}] }, /POST \/orders answered HTTP 400/],
    ];
    for (const [routes, reason] of cases) {
      const result = await ensureDemoOrder({ baseUrl: BASE, key: KEY, fetch: fakeFetch(routes).fetch });
      assert.equal(result.outcome, "unavailable");
      assert.match(result.reason, reason);
      assert.doesNotMatch(result.reason, /key_test/);
    }
    const hanging = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    const slow = await ensureDemoOrder({ baseUrl: BASE, key: KEY, fetch: hanging, timeoutMs: 20 });
    assert.deepEqual(slow, { outcome: "unavailable", reason: "GET /orders/order_999: no answer within 20 ms" });
  });

  it("lets page loads that arrive together share one check, so a burst creates one order", async () => {
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    const { fetch, calls } = fakeFetch({ "GET /orders/order_999": async () => (await gate, [404, {}]), "POST /orders": [201, order({ id: "order_C" })] });
    const ensure = demoOrderKeeper({ baseUrl: BASE, key: KEY, fetch }, { log() {}, warn() {} });
    const burst = [ensure(), ensure(), ensure()];
    release();
    for (const result of await Promise.all(burst)) assert.deepEqual(result, { outcome: "created", id: "order_C" });
    assert.equal(calls.filter((c) => c.method === "POST").length, 1);
  });
});

describe("the demo shop in test mode", () => {
  async function serve(env, fetch) {
    const config = fromEnv({ PORT: "0", FRAME_PORT: "0", API_BASE_URL: BASE, ...env });
    const warnings = [];
    const handler = createHandler(config, ["main"], () => ({ main: 0, frame: 0 }), { fetch, log: { log() {}, warn: (line) => warnings.push(line) } });
    const server = createServer((req, res) => void handler(req, res));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { base: `http://127.0.0.1:${server.address().port}`, server, warnings };
  }

  it("makes order_999 with the secret key before serving the page, and never puts the key in it", async () => {
    const { fetch, calls } = fakeFetch({ "GET /orders/order_999": [404, {}], "POST /orders": [201, order()] });
    const { base, server } = await serve({ TEST_MODE: "true", SERVER_API_BASE_URL: BASE }, fetch);
    try {
      const page = await globalThis.fetch(`${base}/checkout.html`);
      assert.equal(page.status, 200);
      assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ["GET /orders/order_999", "POST /orders"]);
      assert.doesNotMatch(await page.text(), /key_test_/);
      const config = await (await globalThis.fetch(`${base}/config.js`)).text();
      assert.doesNotMatch(config, /key_test_/);
    } finally {
      server.close();
    }
  });

  it("still serves the page when the gateway is down, and says why once", async () => {
    const { fetch } = fakeFetch({});
    const { base, server, warnings } = await serve({ TEST_MODE: "true" }, fetch);
    try {
      for (let i = 0; i < 2; i++) assert.equal((await globalThis.fetch(`${base}/checkout.html`)).status, 200);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /order_999 could not be made .*cannot be reached/);
    } finally {
      server.close();
    }
  });

  it("asks the gateway nothing outside test mode", async () => {
    const { fetch, calls } = fakeFetch({});
    const { base, server } = await serve({}, fetch);
    try {
      assert.equal((await globalThis.fetch(`${base}/checkout.html`)).status, 200);
      assert.deepEqual(calls, []);
    } finally {
      server.close();
    }
  });
});
