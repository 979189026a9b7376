/**
 * Amounts as the API sends them (integers in the currency's minor unit: paise, cents, yen) and as
 * a merchant reads and types them ("₹1,234.50"). Pure functions, unit-tested.
 */

import type { StatusTone } from "./format";
import type { Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus } from "./payments-api";

const LOCALE = "en-IN";

/** How many minor-unit digits a currency has: INR 2, JPY 0. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2; // not an ISO code Intl knows: the API's currencies all have 2 or 0
  }
}

/** 123450, "INR" → "₹1,234.50"; 500, "JPY" → "JP¥500". */
export function money(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  const major = amountMinor / 10 ** digits;
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency}`;
  }
}

/** The major-unit text for an input: 12050, "INR" → "120.50" (no grouping, so it parses back). */
export function majorText(amountMinor: number, currency: string): string {
  return (amountMinor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency));
}

export type ParsedAmount = { ok: true; minor: number } | { ok: false; problem: string };

/**
 * What the merchant typed, in major units ("120.5", "1,200", "₹ 99"), as an integer of minor units.
 * Decided on the digits themselves, never through floating point, so "0.29" is 29 paise, not 28.
 */
export function parseAmount(text: string, currency: string): ParsedAmount {
  const digits = minorDigits(currency);
  const cleaned = text.replace(/[\s,₹$€£¥]/g, "");
  if (!cleaned) return { ok: false, problem: "Enter an amount." };
  const match = /^(\d{1,12})(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { ok: false, problem: `Enter an amount in ${currency}, like ${majorText(12050, currency)}.` };
  const fraction = match[2] ?? "";
  if (fraction.replace(/0+$/, "").length > digits) {
    return { ok: false, problem: digits ? `${currency} amounts have at most ${digits} decimal places.` : `${currency} amounts have no decimal places.` };
  }
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.slice(0, digits).padEnd(digits, "0") || "0");
  if (minor < 1) return { ok: false, problem: "Enter an amount above zero." };
  return { ok: true, minor };
}

/**
 * What is left to refund: the amount less every refund that has not failed. The gateway counts
 * pending refunds too (they may still go through), so `amount_refunded`, which counts processed
 * ones only, would overstate it.
 */
export function refundable(payment: Pick<Payment, "amount" | "status">, refunds: readonly Pick<Refund, "amount" | "status">[]): number {
  if (payment.status !== "success") return 0;
  const committed = refunds.filter((r) => r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
  return Math.max(0, payment.amount - committed);
}

/** "Visa •••• 1111", "UPI success@upi", "Card". */
export function paymentMethod(p: Pick<Payment, "method" | "card" | "vpa">): string {
  if (p.method === "upi") return p.vpa ? `UPI ${p.vpa}` : "UPI";
  if (!p.card) return "Card";
  const network = p.card.network ? p.card.network.charAt(0).toUpperCase() + p.card.network.slice(1) : "Card";
  return `${network} •••• ${p.card.last4}`;
}

/** The API's statuses in the filters' words. */
export const PAYMENT_STATUS_LABELS: Readonly<Record<PaymentStatus, string>> = { pending: "Pending", success: "Succeeded", failed: "Failed" };
export const ORDER_STATUS_LABELS: Readonly<Record<OrderStatus, string>> = { created: "Created", attempted: "Attempted", paid: "Paid" };
export const REFUND_STATUS_LABELS: Readonly<Record<RefundStatus, string>> = { pending: "Pending", processed: "Processed", failed: "Failed" };

export type PaymentTone = StatusTone | "muted";

/**
 * The badge for a payment, as Stripe words it: a successful payment is "Uncaptured" until it is
 * captured, then "Succeeded", "Partially refunded" or "Refunded".
 */
export function paymentBadge(p: Pick<Payment, "status" | "captured" | "amount" | "amount_refunded">): { tone: PaymentTone; label: string } {
  if (p.status === "failed") return { tone: "failed", label: "Failed" };
  if (p.status === "pending") return { tone: "pending", label: "Pending" };
  if (p.amount_refunded >= p.amount) return { tone: "muted", label: "Refunded" };
  if (p.amount_refunded > 0) return { tone: "retrying", label: "Partially refunded" };
  return p.captured ? { tone: "success", label: "Succeeded" } : { tone: "pending", label: "Uncaptured" };
}

export function orderBadge(o: Pick<Order, "status">): { tone: PaymentTone; label: string } {
  const tone: PaymentTone = o.status === "paid" ? "success" : o.status === "attempted" ? "retrying" : "muted";
  return { tone, label: ORDER_STATUS_LABELS[o.status] };
}

export function refundBadge(r: Pick<Refund, "status">): { tone: PaymentTone; label: string } {
  const tone: PaymentTone = r.status === "processed" ? "success" : r.status === "failed" ? "failed" : "pending";
  return { tone, label: REFUND_STATUS_LABELS[r.status] };
}
