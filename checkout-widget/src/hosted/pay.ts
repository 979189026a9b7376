/**
 * The hosted payment page (pay.html), the only place card data exists: it is read from these
 * inputs, sent straight to the gateway API and never posted to the merchant's page.
 *
 * The parent's origin and the channel come from the URL fragment. Messages go to that exact
 * origin (a wrong claim just means nobody receives them), and only messages from `window.parent`,
 * from that origin, on that channel, that parse, are obeyed.
 */

import { type ApiConfig, ApiError, type CreatePaymentBody, type Payment, apiRequest, createPayment, followPayment } from "../api";
import {
  type Network,
  caretAfterDigits,
  detectNetwork,
  formatExpiry,
  formatNumber,
  maxLength,
  normaliseNumber,
  parseExpiry,
  validateCvv,
  validateExpiry,
  validateNumber,
  validateVpa,
} from "../cards";
import { pageConfig } from "../config";
import { formatAmount } from "../format";
import type { components } from "../generated/openapi";
import { type FocusPosition, type FrameInit, type FrameMessage, type FrameStatus, envelope, parseParentMessage, randomId } from "../messages";
import type { PaymentMethod } from "../types";

type CheckoutOrder = components["schemas"]["CheckoutOrder"];

// The order is looked up before the form is shown; a gateway that does not answer by then leaves
// the page's amount in place (see findOrder).
const ORDER_LOOKUP_TIMEOUT_MS = 8_000;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`pay.html is missing #${id}`);
  return node as T;
};

const config = pageConfig();
const fragment = new URLSearchParams(window.location.hash.slice(1));
const channel = fragment.get("channel") ?? "";
const parentOrigin = validOrigin(fragment.get("origin"));

const ui = {
  app: $("app"),
  summary: $("summary"),
  checkout: $("checkout"),
  merchant: $("merchant"),
  testBadge: $("test-badge"),
  amount: $("amount"),
  description: $("description"),
  order: $("order"),
  tabs: { card: $<HTMLButtonElement>("tab-card"), upi: $<HTMLButtonElement>("tab-upi") },
  panels: { card: $("panel-card"), upi: $("panel-upi") },
  form: $<HTMLFormElement>("form"),
  number: $<HTMLInputElement>("card-number"),
  brand: $("card-brand"),
  expiry: $<HTMLInputElement>("card-expiry"),
  cvv: $<HTMLInputElement>("card-cvv"),
  cvvHint: $("card-cvv-hint"),
  name: $<HTMLInputElement>("card-name"),
  vpa: $<HTMLInputElement>("vpa"),
  formError: $("form-error"),
  pay: $<HTMLButtonElement>("pay"),
  testHint: $("test-hint"),
  done: $("done"),
  doneAmount: $("done-amount"),
  doneId: $("done-id"),
  doneButton: $<HTMLButtonElement>("done-button"),
  paid: $("paid"),
  paidAmount: $("paid-amount"),
  paidButton: $<HTMLButtonElement>("paid-button"),
  standalone: $("standalone"),
  status: $("status"),
};

let init: FrameInit | null = null;
/** The amount to charge is settled (the order looked up) and the order is not paid yet. */
let payable = false;
let method: PaymentMethod = "card";
let busy = false;

function validOrigin(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value ? value : null;
  } catch {
    return null;
  }
}

/** Is our embedder really `parentOrigin`? Where the browser tells us (Chromium, Safari), check. */
function embedderMatches(): boolean {
  const ancestors = window.location.ancestorOrigins;
  return !ancestors || ancestors.length === 0 || ancestors[0] === parentOrigin;
}

function post(message: FrameMessage): void {
  if (parentOrigin && window.parent !== window) window.parent.postMessage(envelope(channel, message), parentOrigin);
}

function announce(text: string): void {
  // Clear first so that the same text twice in a row is announced twice.
  ui.status.textContent = "";
  window.setTimeout(() => {
    ui.status.textContent = text;
  }, 50);
}

function setStatus(status: FrameStatus): void {
  post({ type: "status", status });
}

// ---- fields -------------------------------------------------------------------------------

interface Field {
  input: HTMLInputElement;
  error: HTMLElement;
  validate: () => string | null;
}

const fields: Record<string, Field> = {
  number: { input: ui.number, error: $("card-number-error"), validate: () => validateNumber(ui.number.value) },
  expiry: { input: ui.expiry, error: $("card-expiry-error"), validate: () => validateExpiry(ui.expiry.value) },
  cvv: { input: ui.cvv, error: $("card-cvv-error"), validate: () => validateCvv(ui.cvv.value, currentNetwork()) },
  name: { input: ui.name, error: $("card-name-error"), validate: () => (ui.name.value.length > 100 ? "Name is too long" : null) },
  vpa: { input: ui.vpa, error: $("vpa-error"), validate: () => validateVpa(ui.vpa.value) },
};
const cardFields = [fields.number!, fields.expiry!, fields.cvv!, fields.name!];

function showFieldError(field: Field, message: string | null): void {
  field.error.textContent = message ?? "";
  if (message) field.input.setAttribute("aria-invalid", "true");
  else field.input.removeAttribute("aria-invalid");
}

function currentNetwork(): Network | null {
  return detectNetwork(normaliseNumber(ui.number.value) ?? "");
}

function onNumberInput(): void {
  const input = ui.number;
  const caret = input.selectionStart ?? input.value.length;
  const digitsBeforeCaret = input.value.slice(0, caret).replace(/\D/g, "").length;
  const network = detectNetwork(input.value.replace(/\D/g, ""));
  const digits = input.value.replace(/\D/g, "").slice(0, maxLength(network));
  const formatted = formatNumber(digits, network);
  if (formatted !== input.value) {
    input.value = formatted;
    const at = caretAfterDigits(formatted, Math.min(digitsBeforeCaret, digits.length));
    input.setSelectionRange(at, at);
  }
  showNetwork(network);
  // Once the shopper fixed what we complained about, stop complaining while they type.
  if (input.getAttribute("aria-invalid") === "true" && !fields.number!.validate()) showFieldError(fields.number!, null);
}

function showNetwork(network: Network | null): void {
  const id = network?.id ?? "";
  if (ui.brand.dataset.network === id) return;
  ui.brand.dataset.network = id;
  ui.brand.textContent = network?.label ?? "";
  const cvvLength = network?.cvvLength ?? 3;
  ui.cvv.maxLength = cvvLength;
  ui.cvvHint.textContent = cvvLength === 4 ? "4 digits on the front of the card" : "3 digits on the back";
  if (ui.cvv.value.length > cvvLength) ui.cvv.value = ui.cvv.value.slice(0, cvvLength);
}

function onExpiryInput(event: Event): void {
  const deleting = (event as InputEvent).inputType?.startsWith("delete");
  if (deleting) return;
  const formatted = formatExpiry(ui.expiry.value);
  if (formatted !== ui.expiry.value) ui.expiry.value = formatted;
}

function wireField(field: Field): void {
  field.input.addEventListener("blur", (event) => {
    // Pressing Pay validates everything anyway. Showing this field's error now would push the
    // button down between mousedown and mouseup, and the click would miss it.
    if (event.relatedTarget === ui.pay) return;
    // Judge on leaving a field, not while typing; an untouched empty field is not an error yet.
    if (field.input.value !== "" || field.input.getAttribute("aria-invalid") === "true") showFieldError(field, field.validate());
  });
}

// ---- tabs ---------------------------------------------------------------------------------

function selectMethod(next: PaymentMethod, focus = false): void {
  method = next;
  for (const m of ["card", "upi"] as const) {
    const selected = m === next;
    ui.tabs[m].setAttribute("aria-selected", String(selected));
    ui.tabs[m].tabIndex = selected ? 0 : -1;
    ui.panels[m].hidden = !selected;
  }
  ui.formError.textContent = "";
  renderTestHint();
  if (focus) ui.tabs[next].focus();
}

function onTabKeydown(event: KeyboardEvent): void {
  // WAI-ARIA tabs: arrows move between tabs (and select them), Home/End jump to the ends.
  const keys: Record<string, PaymentMethod> = { ArrowLeft: "card", Home: "card", ArrowRight: "upi", End: "upi" };
  let next = keys[event.key];
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") next = method === "card" ? "upi" : "card";
  if (!next) return;
  event.preventDefault();
  selectMethod(next, true);
}

/** Test keys (key_test_…, pk_test_…) take test payments, as Stripe's and Razorpay's do; so does a test-mode server. */
function isTestMode(): boolean {
  return config.testMode || (/^(key|pk)_test_/.test(init?.key ?? ""));
}

function renderTestHint(): void {
  ui.testBadge.hidden = !isTestMode();
  if (!isTestMode()) return;
  ui.testHint.hidden = false;
  ui.testHint.textContent =
    method === "card"
      ? "Test mode: card 4111 1111 1111 1111 succeeds, 4000 0000 0000 0002 is declined. Any future expiry and CVV."
      : "Test mode: success@upi succeeds, failure@upi fails.";
}

// ---- paying -------------------------------------------------------------------------------

function setBusy(value: boolean): void {
  busy = value;
  ui.pay.disabled = value;
  ui.pay.textContent = value ? "Processing..." : "Pay Now";
  if (value) ui.pay.setAttribute("aria-busy", "true");
  else ui.pay.removeAttribute("aria-busy");
  ui.app.setAttribute("aria-busy", String(value));
  for (const el of [ui.number, ui.expiry, ui.cvv, ui.name, ui.vpa]) el.readOnly = value;
  for (const tab of [ui.tabs.card, ui.tabs.upi]) tab.disabled = value;
}

/** Validate every field of the current method; focus the first bad one. True when all are fine. */
function validateAll(): boolean {
  const list = method === "card" ? cardFields : [fields.vpa!];
  let first: Field | null = null;
  for (const field of list) {
    const message = field.validate();
    showFieldError(field, message);
    if (message && !first) first = field;
  }
  if (first) {
    first.input.focus();
    announce(`Please correct the highlighted ${list.filter((f) => f.validate()).length === 1 ? "field" : "fields"}`);
    return false;
  }
  return true;
}

function requestBody(current: FrameInit): CreatePaymentBody {
  // The SDK takes any ISO 4217 code; the gateway knows which it supports, and answers an unsupported
  // one with a BAD_REQUEST_ERROR on field "currency" that reaches onFailure.
  const currency = current.currency as CreatePaymentBody["currency"];
  const body: CreatePaymentBody = { amount: current.amount, currency, method, order_id: current.orderId };
  if (current.description) body.description = current.description;
  if (method === "upi") {
    body.vpa = ui.vpa.value.trim();
    return body;
  }
  const expiry = parseExpiry(ui.expiry.value);
  if (!expiry) throw new Error("expiry was validated before building the request");
  body.card = {
    number: normaliseNumber(ui.number.value) ?? "",
    expiry_month: expiry.month,
    expiry_year: expiry.year,
    cvv: ui.cvv.value,
  };
  const name = ui.name.value.trim();
  if (name) body.card.name = name;
  return body;
}

// The API's field paths, mapped to our inputs, so a server-side rejection lands next to its field.
const FIELD_FOR: Record<string, Field | undefined> = {
  "card.number": fields.number,
  "card.expiry_month": fields.expiry,
  "card.expiry_year": fields.expiry,
  "card.cvv": fields.cvv,
  "card.name": fields.name,
  vpa: fields.vpa,
};

async function pay(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  // The button is disabled synchronously below, but a double click can queue two submits first.
  if (busy || !init || !payable) return;
  ui.formError.textContent = "";
  if (!validateAll()) return;
  const current = init;
  const api: ApiConfig = { baseUrl: config.apiBaseUrl, key: current.key };
  // One key per attempt: resending this attempt (network blip, double submit) can never charge twice.
  const idempotencyKey = `chk_${randomId(12)}`;
  setBusy(true);
  setStatus("processing");
  announce("Processing your payment");
  let payment: Payment | null = null;
  try {
    payment = await createPayment(api, requestBody(current), idempotencyKey);
    if (payment.status === "pending") payment = await followPayment(api, payment.id);
    if (payment.status === "success") {
      succeed(payment);
      return;
    }
    fail(payment.error_code ?? "PAYMENT_FAILED", payment.error_description ?? "The payment was declined.", payment.id);
  } catch (error) {
    if (error instanceof ApiError) {
      const field = error.field ? FIELD_FOR[error.field] : undefined;
      if (field) {
        showFieldError(field, error.message);
        field.input.focus();
      }
      fail(error.code, error.message, payment?.id ?? "");
    } else {
      fail("CHECKOUT_ERROR", "Something went wrong. Please try again.", payment?.id ?? "");
      console.error(error);
    }
  }
}

function succeed(payment: Payment): void {
  setBusy(false);
  const amount = formatAmount(payment.amount, payment.currency);
  // The success panel states the amount paid; "Amount to pay" above it would contradict it.
  ui.summary.hidden = true;
  ui.checkout.hidden = true;
  ui.done.hidden = false;
  ui.doneAmount.textContent = `${amount} paid`;
  ui.doneId.textContent = payment.id;
  // Card data is no longer needed on this page.
  for (const el of [ui.number, ui.expiry, ui.cvv]) el.value = "";
  announce(`Payment successful. ${amount} paid.`);
  ui.done.focus();
  setStatus("success");
  post({ type: "success", payment: { paymentId: payment.id, orderId: payment.order_id, status: "success", amount: payment.amount } });
}

function fail(code: string, message: string, paymentId: string): void {
  setBusy(false);
  ui.formError.textContent = message;
  announce(`Payment failed. ${message}`);
  setStatus("failed");
  post({ type: "failure", code, message, paymentId });
}

// ---- focus and keyboard -------------------------------------------------------------------

function focusables(): HTMLElement[] {
  const nodes = document.querySelectorAll<HTMLElement>("button, input, [tabindex]");
  return Array.from(nodes).filter((el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0);
}

function focus(position: FocusPosition): void {
  if (position === "initial") {
    if (!ui.done.hidden) ui.doneButton.focus();
    else if (!ui.paid.hidden) ui.paidButton.focus();
    else (method === "card" ? ui.number : ui.vpa).focus();
    return;
  }
  const list = focusables();
  (position === "first" ? list[0] : list[list.length - 1])?.focus();
}

function onKeydown(event: KeyboardEvent): void {
  // Tab needs no help: past the last control the browser moves focus to the parent's sentinel,
  // and before the first one to the parent's close button (see modal.ts).
  if (event.key === "Escape") {
    event.preventDefault();
    post({ type: "escape" });
  }
}

// ---- start --------------------------------------------------------------------------------

/**
 * The order `next.orderId` names on the gateway (by id or receipt), or null when there is none (a
 * free-form order id, as before Orders existed) or the gateway could not say.
 */
async function findOrder(next: FrameInit): Promise<CheckoutOrder | null> {
  const api: ApiConfig = { baseUrl: config.apiBaseUrl, key: next.key };
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), ORDER_LOOKUP_TIMEOUT_MS);
  try {
    const order = await apiRequest<CheckoutOrder>(api, "GET", `/orders/${encodeURIComponent(next.orderId)}/checkout`, { signal: controller.signal });
    // Checked, as a proxy may answer instead of the gateway; the SDK checks the message again.
    const ok = Number.isSafeInteger(order?.amount) && order.amount >= 1 && /^[A-Z]{3}$/.test(order?.currency ?? "");
    return ok && (order.status === "created" || order.status === "attempted" || order.status === "paid") ? order : null;
  } catch (error) {
    // Falling back to the page's amount cannot charge the wrong amount for a real order: the
    // gateway refuses a payment whose amount or currency disagrees with the order it names.
    if (!(error instanceof ApiError && error.status === 404)) console.warn("Could not look up the order; charging the amount the page gave", error);
    return null;
  } finally {
    window.clearTimeout(timer);
  }
}

async function apply(next: FrameInit): Promise<void> {
  init = next;
  if (next.color) document.documentElement.style.setProperty("--accent", next.color);
  ui.description.textContent = next.description;
  ui.order.textContent = `Order ${next.orderId}`;
  if (next.prefillName && !ui.name.value) ui.name.value = next.prefillName;
  if (next.prefillVpa && !ui.vpa.value) ui.vpa.value = next.prefillVpa;
  selectMethod(next.method);
  const order = await findOrder(next);
  // The gateway's order, not the page, decides what is charged; the SDK warns the merchant's
  // console when the page asked for something else.
  if (order) init = { ...next, amount: order.amount, currency: order.currency };
  post({ type: "order", order: order ? { amount: order.amount, currency: order.currency } : null });
  const amount = formatAmount(init.amount, init.currency);
  ui.amount.textContent = amount;
  if (order?.status === "paid") {
    ui.summary.hidden = true;
    ui.checkout.hidden = true;
    ui.paid.hidden = false;
    ui.paidAmount.textContent = `${amount} was paid for order ${next.orderId}. There is nothing more to pay.`;
  } else {
    payable = true;
  }
  ui.app.classList.remove("is-loading");
  ui.app.setAttribute("aria-busy", "false");
  if (order?.status === "paid") {
    announce("This order is already paid");
    // The parent focused the first field when it showed the frame; that field is gone now.
    if (document.hasFocus()) ui.paidButton.focus();
  }
}

function onMessage(event: MessageEvent): void {
  if (event.source !== window.parent || event.origin !== parentOrigin) return;
  const message = parseParentMessage(event.data, channel);
  if (!message) return;
  if (message.type === "init") {
    // A second init (say, a script on the merchant's page replaying one) cannot change a checkout under way.
    if (!init) void apply(message.init);
  } else {
    focus(message.position);
  }
}

function start(): void {
  if (!parentOrigin || !channel || window.parent === window || !embedderMatches()) {
    ui.checkout.hidden = true;
    ui.standalone.hidden = false;
    ui.app.classList.remove("is-loading");
    return;
  }
  window.addEventListener("message", onMessage);
  document.addEventListener("keydown", onKeydown);
  ui.form.addEventListener("submit", (e) => void pay(e));
  ui.number.addEventListener("input", onNumberInput);
  ui.expiry.addEventListener("input", onExpiryInput);
  ui.cvv.addEventListener("input", () => {
    const digits = ui.cvv.value.replace(/\D/g, "");
    if (digits !== ui.cvv.value) ui.cvv.value = digits;
  });
  for (const field of Object.values(fields)) wireField(field);
  for (const m of ["card", "upi"] as const) {
    ui.tabs[m].addEventListener("click", () => selectMethod(m));
    ui.tabs[m].addEventListener("keydown", onTabKeydown);
  }
  ui.doneButton.addEventListener("click", () => post({ type: "close" }));
  ui.paidButton.addEventListener("click", () => post({ type: "close" }));
  // The body's own height, not the document's: that is at least the iframe's current height and would never shrink.
  new ResizeObserver(() => post({ type: "resize", height: document.body.getBoundingClientRect().height })).observe(document.body);
  post({ type: "ready" });
}

start();
