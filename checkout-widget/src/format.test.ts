import assert from "node:assert/strict";
import { it } from "node:test";
import { accessibleAccent, contrastRatio, formatAmount, safeColor } from "./format";

it("formats minor units per currency", () => {
  assert.equal(formatAmount(50000, "INR"), "₹500.00");
  assert.equal(formatAmount(12345678, "INR"), "₹1,23,456.78");
  assert.equal(formatAmount(500, "JPY"), "¥500");
  assert.equal(formatAmount(1999, "USD"), "$19.99");
});

it("accepts only hex colours", () => {
  assert.equal(safeColor("#3399CC"), "#3399cc");
  assert.equal(safeColor("#abc"), "#abc");
  assert.equal(safeColor("red"), null);
  assert.equal(safeColor("#fff;background:url(x)"), null);
});

it("darkens a pale accent until white text on it is readable", () => {
  assert.ok(contrastRatio(accessibleAccent("#ffeb3b"), "#ffffff") >= 4.5);
  assert.equal(accessibleAccent("#0f766e"), "#0f766e");
});
