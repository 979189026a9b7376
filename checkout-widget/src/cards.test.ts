import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  caretAfterDigits,
  detectNetwork,
  formatExpiry,
  formatNumber,
  luhnValid,
  parseExpiry,
  validateCvv,
  validateExpiry,
  validateNumber,
  validateVpa,
} from "./cards";

describe("detectNetwork", () => {
  const cases: [string, string | null][] = [
    ["4111111111111111", "visa"],
    ["4", "visa"],
    ["5105105105105100", "mastercard"],
    ["2221000000000009", "mastercard"],
    ["2720990000000000", "mastercard"],
    ["2721000000000000", null],
    ["2220990000000000", null],
    ["378282246310005", "amex"],
    ["34", "amex"],
    ["6521500000000000", "rupay"],
    ["6531490000000000", "rupay"],
    ["6531500000000000", "discover"],
    ["6520000000000000", "discover"],
    ["6011000000000004", "discover"],
    ["6440000000000000", "discover"],
    ["6221260000000000", "discover"],
    ["5082270000000000", "rupay"],
    ["5085000000000000", "rupay"],
    ["6069850000000000", "rupay"],
    ["6080010000000000", "rupay"],
    ["8172900000000000", "rupay"],
    ["30569309025904", "diners"],
    ["36000000000008", "diners"],
    ["38000000000006", "diners"],
    ["3530111333300000", "jcb"],
    ["3589000000000000", "jcb"],
    ["3", null],
    ["6", null],
    ["", null],
    ["9999", null],
  ];
  for (const [number, expected] of cases) {
    it(`${number || "(empty)"} → ${expected}`, () => assert.equal(detectNetwork(number)?.id ?? null, expected));
  }

  it("knows Amex takes a 4-digit CVV and others 3", () => {
    assert.equal(detectNetwork("37")?.cvvLength, 4);
    assert.equal(detectNetwork("4")?.cvvLength, 3);
  });
});

describe("luhnValid", () => {
  it("accepts the test cards", () => {
    for (const n of ["4111111111111111", "4242424242424242", "4000000000000002", "4000000000009995", "378282246310005"]) {
      assert.ok(luhnValid(n), n);
    }
  });
  it("rejects a changed digit and non-digits", () => {
    assert.equal(luhnValid("4111111111111112"), false);
    assert.equal(luhnValid("4111-1111"), false);
    assert.equal(luhnValid(""), false);
  });
});

describe("validateNumber", () => {
  it("explains what is wrong", () => {
    assert.equal(validateNumber(""), "Enter your card number");
    assert.equal(validateNumber("4111 1111"), "Card number is incomplete");
    assert.equal(validateNumber("4111 1111 1111 1112"), "Card number is not valid; check for typos");
    assert.equal(validateNumber("4111 abcd"), "Card number can only contain digits");
    assert.equal(validateNumber("3782 822463 100051"), "Card number is too long");
  });
  it("accepts valid numbers with or without spaces", () => {
    assert.equal(validateNumber("4111 1111 1111 1111"), null);
    assert.equal(validateNumber("378282246310005"), null);
  });
});

describe("formatting", () => {
  it("groups by network", () => {
    assert.equal(formatNumber("4111111111111111"), "4111 1111 1111 1111");
    assert.equal(formatNumber("378282246310005"), "3782 822463 10005");
    assert.equal(formatNumber("41111"), "4111 1");
  });
  it("formats expiry as typed", () => {
    assert.equal(formatExpiry("1"), "1");
    assert.equal(formatExpiry("4"), "04");
    assert.equal(formatExpiry("12"), "12");
    assert.equal(formatExpiry("123"), "12 / 3");
    assert.equal(formatExpiry("12 / 345"), "12 / 34");
  });
  it("puts the caret after the same digit", () => {
    assert.equal(caretAfterDigits("4111 1111", 4), 4);
    assert.equal(caretAfterDigits("4111 1111", 5), 6);
    assert.equal(caretAfterDigits("4111 1111", 0), 0);
  });
});

describe("expiry", () => {
  const now = new Date(2026, 10, 26); // November 2026
  it("parses common shapes", () => {
    assert.deepEqual(parseExpiry("12 / 30"), { month: 12, year: 2030 });
    assert.deepEqual(parseExpiry("1230"), { month: 12, year: 2030 });
    assert.deepEqual(parseExpiry("01/2031"), { month: 1, year: 2031 });
    assert.equal(parseExpiry("13/30"), null);
    assert.equal(parseExpiry("ab"), null);
  });
  it("accepts this month and refuses last month", () => {
    assert.equal(validateExpiry("11 / 26", now), null);
    assert.equal(validateExpiry("10 / 26", now), "This card has expired");
    assert.equal(validateExpiry("", now), "Enter the expiry date");
    assert.equal(validateExpiry("12 / 99", now), "Expiry year is too far in the future");
  });
});

describe("cvv and vpa", () => {
  it("wants 3 digits, or 4 for Amex", () => {
    assert.equal(validateCvv("123", detectNetwork("4")), null);
    assert.equal(validateCvv("123", detectNetwork("37")), "Security code must be 4 digits");
    assert.equal(validateCvv("1234", detectNetwork("37")), null);
    assert.equal(validateCvv("", null), "Enter the security code");
  });
  it("checks the gateway's VPA pattern", () => {
    assert.equal(validateVpa("success@upi"), null);
    assert.equal(validateVpa("asha.rao-1@okhdfcbank"), null);
    assert.equal(validateVpa("no-at-sign"), "Enter a UPI ID like name@bank");
    assert.equal(validateVpa("a@upi"), "Enter a UPI ID like name@bank");
    assert.equal(validateVpa(" "), "Enter your UPI ID");
  });
});
