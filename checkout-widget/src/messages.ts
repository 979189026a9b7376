/**
 * The postMessage protocol between the SDK (merchant page) and the hosted payment page (frame).
 *
 * Both sides post only to the other's exact origin and accept a message only when its
 * `event.origin` and `event.source` are the expected ones *and* it parses here: right protocol
 * tag, version, channel (a random id per `open()`), type and field types. Card data never appears
 * in any message: the frame sends the parent only ids, amounts, statuses and error text.
 *
 * Version 1 message flow: frame `ready` → parent `init` → frame `order` (what the gateway says the
 * order costs, or null when the page's amount applies) → `resize`/`status`/`success`/`failure`.
 */

import type { PaymentMethod, PaymentSuccess } from "./types";

export const PROTOCOL = "pgw-checkout";
export const VERSION = 1;

/** What the frame needs to take a payment; sent by the parent once the frame says it is ready. */
export interface FrameInit {
  key: string;
  orderId: string;
  amount: number;
  currency: string;
  method: PaymentMethod;
  name: string;
  description: string;
  prefillName: string;
  prefillVpa: string;
  color: string;
}

export type ParentMessage =
  | { type: "init"; init: FrameInit }
  | { type: "focus"; position: FocusPosition };

/** Where focus lands in the frame: its first or last control (Tab), or the first field (on open). */
export type FocusPosition = "first" | "last" | "initial";

export type FrameStatus = "idle" | "processing" | "success" | "failed";

/** What the frame charges for an order made through the Orders API: the gateway's figures, not the page's. */
export interface OrderAmount {
  amount: number;
  currency: string;
}

function isAmount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

function isCurrency(value: unknown): value is string {
  return typeof value === "string" && /^[A-Z]{3}$/.test(value);
}

export type FrameMessage =
  | { type: "ready" }
  | { type: "resize"; height: number }
  | { type: "status"; status: FrameStatus }
  // null: the gateway has no such order (a free-form order id) or could not be asked, so the
  // frame charges the amount and currency the page passed.
  | { type: "order"; order: OrderAmount | null }
  | { type: "success"; payment: PaymentSuccess }
  | { type: "failure"; code: string; message: string; paymentId: string }
  | { type: "close" }
  | { type: "escape" };

export type Envelope<M> = M & { protocol: typeof PROTOCOL; version: typeof VERSION; channel: string };

export function envelope<M extends { type: string }>(channel: string, message: M): Envelope<M> {
  return { ...message, protocol: PROTOCOL, version: VERSION, channel };
}

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length <= max;
}

function isId(value: unknown, prefix: string): value is string {
  return typeof value === "string" && value.length <= 64 && value.startsWith(prefix) && /^[A-Za-z0-9_]+$/.test(value);
}

/** The fields of a message of our protocol on `channel`, or null for anything else. */
function open(data: unknown, channel: string): Fields | null {
  if (!isRecord(data)) return null;
  if (data.protocol !== PROTOCOL || data.version !== VERSION || data.channel !== channel) return null;
  return typeof data.type === "string" ? data : null;
}

/** A message the frame sent the parent, validated; null when it is not one. */
export function parseFrameMessage(data: unknown, channel: string): FrameMessage | null {
  const m = open(data, channel);
  if (!m) return null;
  switch (m.type) {
    case "ready":
    case "close":
    case "escape":
      return { type: m.type };
    case "resize":
      return typeof m.height === "number" && Number.isFinite(m.height) && m.height >= 0 && m.height <= 10_000
        ? { type: "resize", height: m.height }
        : null;
    case "status":
      return m.status === "idle" || m.status === "processing" || m.status === "success" || m.status === "failed"
        ? { type: "status", status: m.status }
        : null;
    case "order": {
      if (m.order === null) return { type: "order", order: null };
      const o = m.order;
      if (!isRecord(o) || !isAmount(o.amount) || !isCurrency(o.currency)) return null;
      return { type: "order", order: { amount: o.amount, currency: o.currency } };
    }
    case "success": {
      const p = m.payment;
      if (!isRecord(p)) return null;
      if (!isId(p.paymentId, "pay_") || !isText(p.orderId, 64) || p.status !== "success") return null;
      if (!isAmount(p.amount)) return null;
      return { type: "success", payment: { paymentId: p.paymentId, orderId: p.orderId, status: "success", amount: p.amount } };
    }
    case "failure":
      if (!isText(m.code, 64) || m.code === "" || !isText(m.message, 500) || !isText(m.paymentId, 64)) return null;
      if (m.paymentId !== "" && !isId(m.paymentId, "pay_")) return null;
      return { type: "failure", code: m.code, message: m.message, paymentId: m.paymentId };
    default:
      return null;
  }
}

/** A message the parent sent the frame, validated; null when it is not one. */
export function parseParentMessage(data: unknown, channel: string): ParentMessage | null {
  const m = open(data, channel);
  if (!m) return null;
  if (m.type === "focus") {
    return m.position === "first" || m.position === "last" || m.position === "initial" ? { type: "focus", position: m.position } : null;
  }
  if (m.type !== "init" || !isRecord(m.init)) return null;
  const i = m.init;
  const ok =
    isText(i.key, 255) &&
    i.key !== "" &&
    isText(i.orderId, 64) &&
    i.orderId !== "" &&
    isAmount(i.amount) &&
    isCurrency(i.currency) &&
    (i.method === "card" || i.method === "upi") &&
    isText(i.name, 100) &&
    isText(i.description, 255) &&
    isText(i.prefillName, 100) &&
    isText(i.prefillVpa, 320) &&
    isText(i.color, 9) &&
    (i.color === "" || /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(i.color));
  if (!ok) return null;
  return {
    type: "init",
    init: {
      key: i.key as string,
      orderId: i.orderId as string,
      amount: i.amount as number,
      currency: i.currency as string,
      method: i.method as PaymentMethod,
      name: i.name as string,
      description: i.description as string,
      prefillName: i.prefillName as string,
      prefillVpa: i.prefillVpa as string,
      color: i.color as string,
    },
  };
}

/** A random id, from `crypto.getRandomValues` (which, unlike `randomUUID`, works outside secure contexts). */
export function randomId(bytes = 16): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
