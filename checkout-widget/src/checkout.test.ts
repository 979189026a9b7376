import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { PaymentGateway } from "./checkout";
import { CheckoutError } from "./errors";

const order = { orderId: "order_999", amount: 50000 };

describe("PaymentGateway's key", () => {
  let warn: ReturnType<typeof mock.method>;
  beforeEach(() => {
    warn = mock.method(console, "warn", () => {});
  });
  afterEach(() => mock.restoreAll());

  it("takes a publishable key, test or live, without a word", () => {
    for (const key of ["pk_test_123", "pk_live_Ab3dEf"]) {
      new PaymentGateway({ key, ...order });
    }
    assert.equal(warn.mock.callCount(), 0);
  });

  it("takes a test secret key, as the seed's snippet does, but warns that anyone could refund with it", () => {
    new PaymentGateway({ key: "key_test_123", ...order });

    assert.equal(warn.mock.callCount(), 1);
    const message = String(warn.mock.calls[0]?.arguments[0]);
    assert.match(message, /secret key \(key_test_…\)/);
    assert.match(message, /anyone who can view this page/i);
    assert.match(message, /refund/);
    assert.match(message, /publishable key \(pk_test_…\)/);
    assert.ok(!message.includes("key_test_123"), "the warning must not repeat the key");
  });

  it("refuses a live secret key and names only its prefix", () => {
    for (const key of ["key_live_S3cr3tValue", "  key_live_S3cr3tValue", "KEY_LIVE_S3cr3tValue"]) {
      assert.throws(
        () => new PaymentGateway({ key, ...order }),
        (error: unknown) => {
          assert.ok(error instanceof CheckoutError);
          assert.equal(error.code, "INVALID_OPTIONS");
          assert.match(error.message, /^key must be your publishable key \(pk_live_… or pk_test_…\), received a live secret key \(key_live_…\)/);
          assert.match(error.message, /refund/);
          assert.ok(!/S3cr3t/i.test(error.message), `the key leaked into: ${error.message}`);
          return true;
        },
      );
    }
    assert.equal(warn.mock.callCount(), 0);
  });
});
