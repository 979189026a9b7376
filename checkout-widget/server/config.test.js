import assert from "node:assert/strict";
import { it } from "node:test";
import { fromEnv, isLoopback } from "./config.js";

it("listens on loopback unless HOST says otherwise", () => {
  assert.equal(fromEnv({}).host, "127.0.0.1");
  assert.equal(fromEnv({ HOST: "" }).host, "127.0.0.1");
  assert.equal(fromEnv({ HOST: "0.0.0.0" }).host, "0.0.0.0");
});

it("tells loopback addresses from the others", () => {
  for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "0:0:0:0:0:0:0:1"]) assert.equal(isLoopback(host), true, host);
  for (const host of ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com", "128.0.0.1", ""]) {
    assert.equal(isLoopback(host), false, host);
  }
});

it("serves the test key only in test mode on loopback", () => {
  assert.equal(fromEnv({ TEST_MODE: "true" }).servesTestKey, true);
  assert.equal(fromEnv({ TEST_MODE: "true", HOST: "localhost" }).servesTestKey, true);
  assert.equal(fromEnv({ TEST_MODE: "true", HOST: "0.0.0.0" }).servesTestKey, false);
  assert.equal(fromEnv({ TEST_MODE: "true", HOST: "::" }).servesTestKey, false);
  assert.equal(fromEnv({ TEST_MODE: "false" }).servesTestKey, false);
  assert.equal(fromEnv({}).servesTestKey, false);
});

it("takes only a test secret key as TEST_API_KEY, and never repeats it in the error", () => {
  assert.equal(fromEnv({}).testApiKey, "key_test_123");
  assert.equal(fromEnv({ TEST_API_KEY: "key_test_other" }).testApiKey, "key_test_other");
  assert.throws(() => fromEnv({ TEST_API_KEY: "key_live_S3cr3t" }), (error) => {
    assert.equal(error.message, "TEST_API_KEY must be a test secret key (key_test_…), received a key starting key_live_");
    return true;
  });
  assert.throws(() => fromEnv({ TEST_API_KEY: "whsec_S3cr3t" }), /received something else$/);
  assert.throws(() => fromEnv({ TEST_API_KEY: "pk_test_123" }), /received a key starting pk_test_$/);
});
