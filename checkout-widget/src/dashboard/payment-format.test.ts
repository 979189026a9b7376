import assert from "node:assert/strict";
import { it } from "node:test";
import { majorText, minorDigits, money, orderBadge, parseAmount, paymentBadge, paymentMethod, refundBadge, refundable } from "./payment-format";

it("formats minor units in the currency's own digits", () => {
  assert.equal(minorDigits("INR"), 2);
  assert.equal(minorDigits("JPY"), 0);
  assert.equal(money(123450, "INR"), "₹1,234.50");
  assert.equal(money(50000, "INR"), "₹500.00");
  assert.match(money(500, "JPY"), /500$/);
  assert.doesNotMatch(money(500, "JPY"), /\./);
  assert.equal(majorText(12050, "INR"), "120.50");
  assert.equal(majorText(500, "JPY"), "500");
});

it("parses what a merchant types into minor units without floating-point error", () => {
  assert.deepEqual(parseAmount("120.5", "INR"), { ok: true, minor: 12050 });
  assert.deepEqual(parseAmount("0.29", "INR"), { ok: true, minor: 29 });
  assert.deepEqual(parseAmount("₹ 1,200", "INR"), { ok: true, minor: 120000 });
  assert.deepEqual(parseAmount("5.00", "INR"), { ok: true, minor: 500 });
  assert.deepEqual(parseAmount("500", "JPY"), { ok: true, minor: 500 });
  assert.deepEqual(parseAmount("500.0", "JPY"), { ok: true, minor: 500 });
});

it("says what is wrong with an amount it cannot take", () => {
  assert.deepEqual(parseAmount("", "INR"), { ok: false, problem: "Enter an amount." });
  assert.deepEqual(parseAmount("0", "INR"), { ok: false, problem: "Enter an amount above zero." });
  assert.deepEqual(parseAmount("1.234", "INR"), { ok: false, problem: "INR amounts have at most 2 decimal places." });
  assert.deepEqual(parseAmount("1.5", "JPY"), { ok: false, problem: "JPY amounts have no decimal places." });
  assert.deepEqual(parseAmount("-5", "INR"), { ok: false, problem: "Enter an amount in INR, like 120.50." });
  assert.deepEqual(parseAmount("abc", "INR"), { ok: false, problem: "Enter an amount in INR, like 120.50." });
});

it("leaves out failed refunds, and counts pending ones, in what is left to refund", () => {
  const paid = { amount: 50000, status: "success" as const };
  assert.equal(refundable(paid, []), 50000);
  assert.equal(
    refundable(paid, [
      { amount: 10000, status: "processed" },
      { amount: 5000, status: "pending" },
      { amount: 20000, status: "failed" },
    ]),
    35000,
  );
  assert.equal(refundable(paid, [{ amount: 50000, status: "processed" }]), 0);
  assert.equal(refundable({ amount: 50000, status: "failed" }, []), 0);
});

it("names the payment method the way a receipt does", () => {
  assert.equal(paymentMethod({ method: "card", vpa: null, card: { network: "visa", last4: "1111", expiry_month: 12, expiry_year: 2035 } }), "Visa •••• 1111");
  assert.equal(paymentMethod({ method: "upi", vpa: "asha@okbank", card: null }), "UPI asha@okbank");
  assert.equal(paymentMethod({ method: "card", vpa: null, card: null }), "Card");
});

it("words a payment's badge as Stripe does: uncaptured, succeeded, partially refunded, refunded", () => {
  const paid = { status: "success" as const, captured: true, amount: 50000, amount_refunded: 0 };
  assert.deepEqual(paymentBadge(paid), { tone: "success", label: "Succeeded" });
  assert.deepEqual(paymentBadge({ ...paid, captured: false }), { tone: "pending", label: "Uncaptured" });
  assert.deepEqual(paymentBadge({ ...paid, amount_refunded: 100 }), { tone: "retrying", label: "Partially refunded" });
  assert.deepEqual(paymentBadge({ ...paid, amount_refunded: 50000 }), { tone: "muted", label: "Refunded" });
  assert.deepEqual(paymentBadge({ ...paid, status: "failed" }), { tone: "failed", label: "Failed" });
  assert.deepEqual(paymentBadge({ ...paid, status: "pending" }), { tone: "pending", label: "Pending" });
  assert.deepEqual(orderBadge({ status: "paid" }), { tone: "success", label: "Paid" });
  assert.deepEqual(orderBadge({ status: "created" }), { tone: "muted", label: "Created" });
  assert.deepEqual(refundBadge({ status: "processed" }), { tone: "success", label: "Processed" });
});
