/**
 * `PaymentGateway`: validates options, opens the modal, and talks to the hosted payment page.
 *
 * Importing this module touches no DOM, so it is safe during server-side rendering; `open()` is
 * the first thing that needs a browser.
 */

import { CheckoutError, describe } from "./errors";
import { accessibleAccent, safeColor } from "./format";
import { type FocusPosition, type FrameInit, type FrameMessage, type OrderAmount, type ParentMessage, envelope, parseFrameMessage, randomId } from "./messages";
import { Modal } from "./modal";
import type { CheckoutOptions, CheckoutResult, PaymentMethod, PaymentSuccess } from "./types";

const DEFAULT_AMOUNT = 50000;
const DEFAULT_ACCENT = "#2563eb";
const FRAME_LOAD_TIMEOUT_MS = 15_000;

// server.js replaces this marker with the hosted page's URL when it serves checkout.js. When the
// file is served as it is, the page is looked for next to the script ("./pay.html").
const SERVED_FRAME_URL = "%%PGW_FRAME_URL%%";
let scriptSrc: string | undefined;

/** Remember the `src` of the <script> being evaluated now; the IIFE build calls this as it loads. */
export function rememberScriptSrc(): void {
  if (typeof document === "undefined") return;
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement && script.src) scriptSrc = script.src;
}

function frameUrl(explicit: string | undefined): URL {
  const candidates = [explicit, /^https?:\/\//.test(SERVED_FRAME_URL) ? SERVED_FRAME_URL : undefined];
  const src =
    scriptSrc ??
    Array.from(document.querySelectorAll<HTMLScriptElement>("script[src]")).find((s) => /\/checkout(\.min)?\.js(\?|#|$)/.test(s.src))?.src;
  if (src) candidates.push(new URL("pay.html", src).href);
  for (const candidate of candidates) {
    if (!candidate) continue;
    let url: URL;
    try {
      url = new URL(candidate, document.baseURI);
    } catch (cause) {
      throw new CheckoutError("INVALID_OPTIONS", `frameUrl must be an absolute http(s) URL, received ${describe(candidate)}`, { cause });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new CheckoutError("INVALID_OPTIONS", `frameUrl must be an http(s) URL, received ${describe(candidate)}`);
    }
    return url;
  }
  throw new CheckoutError(
    "FRAME_UNAVAILABLE",
    'Cannot tell where the hosted payment page is: load the SDK with <script src=".../checkout.js"> or pass frameUrl',
  );
}

type Callback = ((...args: never[]) => unknown) | undefined;

/** A secret key (`key_test_…`, `key_live_…`), which can do everything, refunds included. */
function isSecretKey(key: unknown, mode: "test" | "live"): boolean {
  return typeof key === "string" && key.trim().toLowerCase().startsWith(`key_${mode}_`);
}

function validate(options: unknown): asserts options is CheckoutOptions {
  if (typeof options !== "object" || options === null) {
    throw new CheckoutError("INVALID_OPTIONS", `new PaymentGateway(options) expects an object, received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  const fail = (what: string, expected: string): never => {
    throw new CheckoutError("INVALID_OPTIONS", `${what} must be ${expected}, received ${describe(o[what])}`);
  };
  if (typeof o.key !== "string" || o.key.trim() === "") fail("key", "your API key (a non-empty string)");
  if (isSecretKey(o.key, "live")) {
    // Named by its prefix only: the message may end up in logs and error trackers.
    throw new CheckoutError(
      "INVALID_OPTIONS",
      "key must be your publishable key (pk_live_… or pk_test_…), received a live secret key (key_live_…): " +
        "anyone who can view this page could read it and refund your payments, so never put it in a page",
    );
  }
  if (typeof o.orderId !== "string" || o.orderId === "" || o.orderId.length > 64) fail("orderId", "a string of 1 to 64 characters");
  if (o.amount !== undefined && (typeof o.amount !== "number" || !Number.isSafeInteger(o.amount) || o.amount < 1)) {
    fail("amount", "a positive whole number in the currency's minor unit (50000 for ₹500.00)");
  }
  if (o.currency !== undefined && (typeof o.currency !== "string" || !/^[A-Z]{3}$/.test(o.currency))) fail("currency", 'an ISO 4217 code such as "INR"');
  if (o.method !== undefined && o.method !== "card" && o.method !== "upi") fail("method", '"card" or "upi"');
  for (const name of ["onSuccess", "onFailure", "onDismiss"]) {
    if (o[name] !== undefined && typeof o[name] !== "function") fail(name, "a function");
  }
  for (const name of ["name", "description", "frameUrl"]) {
    if (o[name] !== undefined && typeof o[name] !== "string") fail(name, "a string");
  }
  if (o.theme !== undefined) {
    const color = (o.theme as { color?: unknown } | null)?.color;
    if (color !== undefined && !safeColor(color)) {
      throw new CheckoutError("INVALID_OPTIONS", `theme.color must be a colour like "#3399cc", received ${describe(color)}`);
    }
  }
}

function call<F extends Callback>(fn: F, ...args: Parameters<NonNullable<F>>): void {
  if (!fn) return;
  try {
    (fn as (...a: unknown[]) => unknown)(...args);
  } catch (error) {
    // A throwing merchant callback must not wedge the checkout; report it where developers look.
    console.error("PaymentGateway: your callback threw", error);
  }
}

interface Session {
  channel: string;
  origin: string;
  modal: Modal;
  promise: Promise<CheckoutResult>;
  resolve: (result: CheckoutResult) => void;
  settled: boolean;
  succeeded: PaymentSuccess | null;
  lastFailure: CheckoutError | null;
  processing: boolean;
  /** The frame said where the amount comes from (it does again after a reload; we warn once). */
  orderReported: boolean;
  loadTimer: ReturnType<typeof setTimeout> | undefined;
  onMessage: (event: MessageEvent) => void;
}

export class PaymentGateway {
  private readonly options: CheckoutOptions;
  private session: Session | null = null;

  constructor(options: CheckoutOptions) {
    validate(options);
    if (isSecretKey(options.key, "test")) {
      // Accepted, as the seed's snippet uses it, but only test money is at stake.
      console.warn(
        "PaymentGateway: key is a secret key (key_test_…). Anyone who can view this page can read it and use it to " +
          "refund payments; pass your publishable key (pk_test_…) instead.",
      );
    }
    this.options = { ...options };
  }

  /**
   * Open the checkout modal. Resolves when the checkout ends: with the payment once one succeeds,
   * or on close with the last failure (`status: "failed"`) or `status: "dismissed"`. Calling it
   * again while open returns the same promise.
   */
  open(): Promise<CheckoutResult> {
    if (typeof window === "undefined" || typeof document === "undefined") {
      return Promise.reject(new CheckoutError("NO_BROWSER", "PaymentGateway.open() needs a browser; call it from a click handler, not during server rendering"));
    }
    if (this.session) return this.session.promise;
    let url: URL;
    try {
      url = frameUrl(this.options.frameUrl);
    } catch (error) {
      return Promise.reject(error);
    }
    if (window.location.origin === "null") {
      return Promise.reject(new CheckoutError("FRAME_UNAVAILABLE", "Checkout needs a page served over http(s), not a file:// page"));
    }
    const channel = randomId();
    url.hash = new URLSearchParams({ channel, origin: window.location.origin }).toString();
    const o = this.options;
    const accent = accessibleAccent(safeColor(o.theme?.color) ?? DEFAULT_ACCENT);
    // Used only when the gateway has no order by this id (a free-form reference): the frame looks
    // the order up first and charges the order's own amount when there is one.
    const amount = o.amount ?? DEFAULT_AMOUNT;
    let resolve!: (result: CheckoutResult) => void;
    const promise = new Promise<CheckoutResult>((r) => {
      resolve = r;
    });
    const modal = new Modal(o.name || "Checkout", "Secure checkout", accent, url.href, {
      onCloseRequest: () => this.requestClose(),
      onFocusFrame: (position) => this.focusFrame(position),
      onReload: () => this.reload(),
    });
    const session: Session = {
      channel,
      origin: url.origin,
      modal,
      promise,
      resolve,
      settled: false,
      succeeded: null,
      lastFailure: null,
      processing: false,
      orderReported: false,
      loadTimer: undefined,
      onMessage: (event) => {
        // Only the frame we created, from the origin we loaded it from, on this open()'s channel.
        if (event.origin !== session.origin || event.source !== modal.iframe.contentWindow) return;
        const message = parseFrameMessage(event.data, channel);
        if (message) this.handle(session, message, accent, amount);
      },
    };
    this.session = session;
    window.addEventListener("message", session.onMessage);
    modal.mount();
    this.armLoadTimer(session);
    return promise;
  }

  /** Close the modal. Calls `onDismiss` unless a payment already succeeded. */
  close(): void {
    const session = this.session;
    if (!session) return;
    this.session = null;
    clearTimeout(session.loadTimer);
    window.removeEventListener("message", session.onMessage);
    session.modal.unmount();
    if (session.succeeded) return;
    this.settle(session, session.lastFailure ? { status: "failed", error: session.lastFailure } : { status: "dismissed" });
    call(this.options.onDismiss);
  }

  private handle(session: Session, message: FrameMessage, accent: string, amount: number): void {
    const o = this.options;
    switch (message.type) {
      case "ready": {
        clearTimeout(session.loadTimer);
        const init: FrameInit = {
          key: o.key,
          orderId: o.orderId,
          amount,
          currency: o.currency ?? "INR",
          method: (o.method ?? "card") as PaymentMethod,
          name: o.name ?? "",
          description: o.description ?? "",
          prefillName: o.prefill?.name ?? "",
          prefillVpa: o.prefill?.vpa ?? "",
          color: accent,
        };
        this.post(session, { type: "init", init });
        session.modal.showFrame();
        this.focusFrame("initial");
        return;
      }
      case "resize":
        session.modal.setFrameHeight(message.height);
        return;
      case "order":
        if (session.orderReported) return;
        session.orderReported = true;
        this.warnAboutAmount(message.order);
        return;
      case "status":
        session.processing = message.status === "processing";
        return;
      case "success":
        if (session.succeeded) return;
        session.succeeded = message.payment;
        session.processing = false;
        session.modal.announce("Payment successful");
        call(o.onSuccess, message.payment);
        this.settle(session, message.payment);
        return;
      case "failure": {
        session.processing = false;
        const error = new CheckoutError(message.code, message.message, message.paymentId ? { paymentId: message.paymentId } : {});
        session.lastFailure = error;
        call(o.onFailure, error);
        return;
      }
      case "close":
        this.close();
        return;
      case "escape":
        this.requestClose();
        return;
    }
  }

  /** Warn in the merchant's console when the amount charged is not the one the page asked for. */
  private warnAboutAmount(order: OrderAmount | null): void {
    const o = this.options;
    if (!order) {
      if (o.amount === undefined) {
        console.warn(
          `PaymentGateway: no amount given for order ${o.orderId}, and the gateway found no order by that id; using the demo default ` +
            `${DEFAULT_AMOUNT}. Create the order with POST /orders, or pass amount in minor units.`,
        );
      }
      return;
    }
    const amountDiffers = o.amount !== undefined && o.amount !== order.amount;
    const currencyDiffers = o.currency !== undefined && o.currency !== order.currency;
    if (amountDiffers || currencyDiffers) {
      const given = `${o.amount ?? order.amount} ${o.currency ?? order.currency}`;
      console.warn(
        `PaymentGateway: amount ${given} ignored for order ${o.orderId}: the gateway's order is for ${order.amount} ${order.currency}, ` +
          "and that is what the checkout shows and charges.",
      );
    }
  }

  private requestClose(): void {
    const session = this.session;
    if (!session) return;
    if (session.processing) {
      // Closing now would hide the outcome of a charge that is going through.
      session.modal.announce("Payment in progress. Please wait for it to finish.");
      return;
    }
    this.close();
  }

  private focusFrame(position: FocusPosition): void {
    const session = this.session;
    if (!session) return;
    session.modal.iframe.focus();
    this.post(session, { type: "focus", position });
  }

  private reload(): void {
    const session = this.session;
    if (!session) return;
    session.modal.showLoading();
    // Assigning the same URL would only be a fragment navigation; a new query forces a real load.
    const url = new URL(session.modal.iframe.src);
    url.searchParams.set("reload", String(Date.now()));
    session.modal.iframe.src = url.href;
    this.armLoadTimer(session);
  }

  private armLoadTimer(session: Session): void {
    clearTimeout(session.loadTimer);
    session.loadTimer = setTimeout(() => {
      session.modal.showError("The secure payment form did not load. Check your connection and try again.");
    }, FRAME_LOAD_TIMEOUT_MS);
  }

  private post(session: Session, message: ParentMessage): void {
    session.modal.iframe.contentWindow?.postMessage(envelope(session.channel, message), session.origin);
  }

  private settle(session: Session, result: CheckoutResult): void {
    if (session.settled) return;
    session.settled = true;
    session.resolve(result);
  }
}
