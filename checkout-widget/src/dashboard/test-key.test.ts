import assert from "node:assert/strict";
import { it } from "node:test";
import { fetchTestKey } from "./test-key";

const answer = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status });

it("returns the test key the server answers with, asking same-origin and uncached", async () => {
  let init: RequestInit | undefined;
  const key = await fetchTestKey("/dev/test-key", async (_url, given) => {
    init = given;
    return new Response(JSON.stringify({ key: "key_test_123", mode: "test" }));
  });
  assert.equal(key, "key_test_123");
  assert.equal(init?.credentials, "same-origin");
  assert.equal(init?.cache, "no-store");
});

it("returns nothing when the key is not served, refused, unreachable or not a test secret key", async () => {
  assert.equal(await fetchTestKey("/dev/test-key", answer(404, "Not found")), "");
  assert.equal(await fetchTestKey("/dev/test-key", answer(403, { error: { code: "FORBIDDEN" } })), "");
  assert.equal(await fetchTestKey("/dev/test-key", async () => Promise.reject(new TypeError("Failed to fetch"))), "");
  assert.equal(await fetchTestKey("/dev/test-key", async () => new Response("<html>")), "");
  for (const key of ["key_live_abc", "pk_test_123", "", 42, null]) {
    assert.equal(await fetchTestKey("/dev/test-key", answer(200, { key })), "", `accepted ${JSON.stringify(key)}`);
  }
  assert.equal(await fetchTestKey("/dev/test-key", answer(200, ["key_test_123"])), "");
});
