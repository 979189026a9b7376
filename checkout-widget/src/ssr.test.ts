import assert from "node:assert/strict";
import { it } from "node:test";

it("imports and constructs without a browser, and open() says it needs one", async () => {
  assert.equal(typeof (globalThis as { window?: unknown }).window, "undefined");
  await import("./global"); // the <script> build's entry: a no-op without window
  const { PaymentGateway, CheckoutError } = await import("./index");
  const gateway = new PaymentGateway({ key: "pk_test_123", orderId: "order_999", amount: 50000 });
  await assert.rejects(gateway.open(), (error: unknown) => error instanceof CheckoutError && error.code === "NO_BROWSER");
  gateway.close(); // nothing open: a no-op
});

it("says what it expected when the options are wrong", async () => {
  const { PaymentGateway } = await import("./index");
  assert.throws(() => new PaymentGateway({ key: "", orderId: "o" }), /key must be your API key \(a non-empty string\), received an empty string/);
  assert.throws(() => new PaymentGateway({ key: "k", orderId: "o", amount: 10.5 }), /amount must be a positive whole number.*received a number \(10\.5\)/);
  assert.throws(() => new PaymentGateway({ key: "k", orderId: "o", theme: { color: "red" } }), /theme\.color must be a colour/);
  assert.throws(() => new PaymentGateway(undefined as never), /expects an object, received undefined/);
});
