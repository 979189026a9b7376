/** The one error class of the SDK: a stable `code` to branch on and a `message` for people. */

export type CheckoutErrorCode =
  // Declines and API errors keep the gateway's own code (CARD_DECLINED, BAD_REQUEST_ERROR, ...).
  | (string & {})
  | "INVALID_OPTIONS"
  | "NO_BROWSER"
  | "ALREADY_OPEN"
  | "FRAME_UNAVAILABLE"
  | "NETWORK_ERROR"
  | "PAYMENT_TIMEOUT";

export class CheckoutError extends Error {
  readonly code: CheckoutErrorCode;
  /** Set when a payment was created before the failure (a decline, say). */
  readonly paymentId: string | undefined;

  constructor(code: CheckoutErrorCode, message: string, options: { cause?: unknown; paymentId?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CheckoutError";
    this.code = code;
    this.paymentId = options.paymentId;
  }
}

/** "a string" / "undefined" / "a number (12)": what arrived, for messages that say what was expected. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return value === "" ? "an empty string" : `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === "number") return `a number (${value})`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
