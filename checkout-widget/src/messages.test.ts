import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { envelope, parseFrameMessage, parseParentMessage, randomId } from "./messages";

const CHANNEL = "c0ffee";
const init = {
  key: "key_test_123",
  orderId: "order_999",
  amount: 50000,
  currency: "INR",
  method: "card",
  name: "Chai & Co.",
  description: "",
  prefillName: "",
  prefillVpa: "",
  color: "#0f766e",
};

describe("parseFrameMessage", () => {
  it("accepts a well-formed success on our channel", () => {
    const payment = { paymentId: "pay_abc123", orderId: "order_999", status: "success", amount: 50000 };
    assert.deepEqual(parseFrameMessage(envelope(CHANNEL, { type: "success", payment }), CHANNEL), { type: "success", payment });
  });
  it("drops other channels, protocols, versions and shapes", () => {
    const ok = envelope(CHANNEL, { type: "ready" });
    assert.equal(parseFrameMessage(ok, "other"), null);
    assert.equal(parseFrameMessage({ ...ok, protocol: "x" }, CHANNEL), null);
    assert.equal(parseFrameMessage({ ...ok, version: 2 }, CHANNEL), null);
    assert.equal(parseFrameMessage("ready", CHANNEL), null);
    assert.equal(parseFrameMessage(null, CHANNEL), null);
    assert.equal(parseFrameMessage(envelope(CHANNEL, { type: "resize", height: "9" }), CHANNEL), null);
    assert.equal(parseFrameMessage(envelope(CHANNEL, { type: "unknown" }), CHANNEL), null);
  });
  it("refuses a success whose fields are off", () => {
    const bad = [
      { paymentId: "rfnd_1", orderId: "o", status: "success", amount: 1 },
      { paymentId: "pay_1", orderId: "o", status: "failed", amount: 1 },
      { paymentId: "pay_1", orderId: "o", status: "success", amount: 1.5 },
      { paymentId: "pay_<script>", orderId: "o", status: "success", amount: 1 },
    ];
    for (const payment of bad) assert.equal(parseFrameMessage(envelope(CHANNEL, { type: "success", payment }), CHANNEL), null);
  });
  it("accepts an order's amount and currency, or null for a free-form order id", () => {
    const order = { amount: 12345, currency: "USD" };
    assert.deepEqual(parseFrameMessage(envelope(CHANNEL, { type: "order", order }), CHANNEL), { type: "order", order });
    assert.deepEqual(parseFrameMessage(envelope(CHANNEL, { type: "order", order: null }), CHANNEL), { type: "order", order: null });
    assert.deepEqual(
      parseFrameMessage(envelope(CHANNEL, { type: "order", order: { ...order, status: "paid", card: "4111" } }), CHANNEL),
      { type: "order", order },
    );
  });
  it("refuses an order message whose fields are off", () => {
    const bad = [undefined, "12345", [], { amount: 0, currency: "USD" }, { amount: 1.5, currency: "USD" }, { amount: "1", currency: "USD" }, { amount: 1, currency: "usd" }, { amount: 1 }];
    for (const order of bad) assert.equal(parseFrameMessage(envelope(CHANNEL, { type: "order", order }), CHANNEL), null, JSON.stringify(order));
    assert.equal(parseFrameMessage(envelope("other", { type: "order", order: null }), CHANNEL), null);
  });
  it("copies only known fields", () => {
    const parsed = parseFrameMessage({ ...envelope(CHANNEL, { type: "close" }), extra: 1 }, CHANNEL);
    assert.deepEqual(parsed, { type: "close" });
  });
});

describe("parseParentMessage", () => {
  it("accepts a valid init and focus", () => {
    assert.deepEqual(parseParentMessage(envelope(CHANNEL, { type: "init", init }), CHANNEL), { type: "init", init });
    assert.deepEqual(parseParentMessage(envelope(CHANNEL, { type: "focus", position: "last" }), CHANNEL), { type: "focus", position: "last" });
  });
  it("refuses an init with a bad field", () => {
    for (const change of [{ amount: 0 }, { amount: "50000" }, { currency: "inr" }, { method: "wallet" }, { color: "red;x:y" }, { key: "" }]) {
      assert.equal(parseParentMessage(envelope(CHANNEL, { type: "init", init: { ...init, ...change } }), CHANNEL), null, JSON.stringify(change));
    }
  });
});

it("randomId gives distinct hex ids", () => {
  const a = randomId();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, randomId());
});
