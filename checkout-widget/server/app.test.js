import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { createHandler } from "./app.js";
import { fromEnv } from "./config.js";
import { FRAME_FILES, MAIN_FILES } from "./files.js";

const policy = (header) => Object.fromEntries(header.split("; ").map((d) => [d.slice(0, d.indexOf(" ")), d.slice(d.indexOf(" ") + 1)]));

describe("the API reference page", () => {
  let server;
  let base;
  before(async () => {
    const config = fromEnv({ PORT: "0", FRAME_PORT: "0", API_BASE_URL: "http://127.0.0.1:9/api/v1" });
    const handler = createHandler(config, ["main"], () => ({ main: 0, frame: 0 }));
    server = createServer((req, res) => void handler(req, res));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());

  it("gets a fresh style nonce per response, and a CSP without inline scripts, eval or inline styles", async () => {
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/docs/api.html`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      const csp = policy(res.headers.get("content-security-policy"));
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp["style-src"])?.[1];
      assert.ok(nonce, csp["style-src"]);
      assert.match(await res.text(), new RegExp(`data-style-nonce="${nonce.replace(/[+/]/g, "\\$&")}"`));
      assert.deepEqual(
        { ...csp, "style-src": undefined },
        {
          "default-src": "'none'",
          "script-src": "'self'",
          "style-src": undefined,
          "img-src": "'self' data:",
          "connect-src": "'self'",
          "worker-src": "blob:",
          "base-uri": "'none'",
          "form-action": "'none'",
          "frame-ancestors": "'none'",
        },
      );
      assert.doesNotMatch(csp["style-src"], /unsafe/);
      nonces.push(nonce);
    }
    assert.notEqual(nonces[0], nonces[1]);
  });

  it("is at /docs/api.html, and /docs leads there", async () => {
    for (const path of ["/docs", "/docs/"]) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get("location"), "/docs/api.html");
    }
  });

  it("comes with everything it loads, from this server, and only on the main origin", () => {
    for (const path of ["/docs/api.html", "/docs/api.css", "/docs/api.js", "/docs/redoc.standalone.js", "/docs/openapi.json"]) {
      assert.ok(MAIN_FILES[path], path);
      assert.equal(FRAME_FILES[path], undefined, path);
    }
    assert.equal(MAIN_FILES["/docs/openapi.json"].type, "application/json; charset=utf-8");
  });
});

describe("the dashboard's pages", () => {
  let server;
  let base;
  before(async () => {
    const config = fromEnv({ PORT: "0", FRAME_PORT: "0", API_BASE_URL: "http://127.0.0.1:9/api/v1" });
    const handler = createHandler(config, ["main"], () => ({ main: 0, frame: 0 }));
    server = createServer((req, res) => void handler(req, res));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());

  it("serves the payments page with the webhooks page's CSP: scripts from itself, requests to the API only", async () => {
    const policies = [];
    for (const path of ["/dashboard-webhooks.html", "/dashboard-payments.html"]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("cache-control"), "no-store", path);
      policies.push(policy(res.headers.get("content-security-policy")));
    }
    assert.deepEqual(policies[1], policies[0]);
    assert.equal(policies[1]["script-src"], "'self'");
    assert.equal(policies[1]["connect-src"], "http://127.0.0.1:9");
    assert.equal(policies[1]["frame-ancestors"], "'none'");
  });

  it("comes with its bundle, only on the main origin, and both pages link to each other", async () => {
    for (const path of ["/dashboard-payments.html", "/dashboard-payments.js"]) {
      assert.ok(MAIN_FILES[path], path);
      assert.equal(FRAME_FILES[path], undefined, path);
    }
    for (const [page, other] of [
      ["/dashboard-webhooks.html", "/dashboard-payments.html"],
      ["/dashboard-payments.html", "/dashboard-webhooks.html"],
    ]) {
      const html = await (await fetch(`${base}${page}`)).text();
      assert.match(html, new RegExp(`<a href="${other}">`), page);
      assert.match(html, /<a href="\/docs\/api.html">API reference<\/a>/, page);
    }
  });
});
