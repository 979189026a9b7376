/**
 * One payment: its fields, Capture and Refund (each behind a confirmation), its refunds, and the
 * events it and its refunds raised with where each was delivered. The form and buttons are in the
 * page and only shown or hidden, so a reload of the data never moves keyboard focus.
 */

import { ApiError } from "../api";
import { randomId } from "../messages";
import { byId, h, setText } from "./dom";
import { absoluteTime, deliveryStatus, lastResponse, relativeTime } from "./format";
import { majorText, money, parseAmount, paymentBadge, paymentMethod, refundBadge, refundable } from "./payment-format";
import { type Delivery, type GatewayEvent, type Payment, type Refund, paymentsApi } from "./payments-api";
import { describeError, type Shell } from "./shell";

/** While a payment or one of its refunds is pending, reload every POLL_MS, at most POLLS times. */
const POLL_MS = 2000;
const POLLS = 30;

/** One refund the merchant confirmed: sent again (after a lost answer) with the same key. */
interface RefundAttempt {
  key: string;
  amount: number;
  reason: string;
}

export class PaymentDetail {
  private readonly section = byId("payment-detail");
  private readonly title = byId("detail-title");
  private readonly sub = byId("detail-sub");
  private readonly facts = byId("detail-facts");
  private readonly captureBox = byId("capture-box");
  private readonly captureButton = byId<HTMLButtonElement>("capture");
  private readonly form = byId<HTMLFormElement>("refund-form");
  private readonly amount = byId<HTMLInputElement>("refund-amount");
  private readonly amountHint = byId("refund-amount-hint");
  private readonly amountError = byId("refund-amount-error");
  private readonly reason = byId<HTMLInputElement>("refund-reason");
  private readonly reasonError = byId("refund-reason-error");
  private readonly submit = byId<HTMLButtonElement>("refund-submit");
  private readonly actionError = byId("action-error");
  private readonly refundsTitle = byId("refunds-title");
  private readonly refundsBox = byId("detail-refunds");
  private readonly eventsBox = byId("detail-events");
  private paymentId: string | null = null;
  private payment: Payment | null = null;
  private refunds: Refund[] = [];
  private attempt: RefundAttempt | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pollsLeft = 0;
  /** A capture or refund is on its way. The buttons say so with aria-disabled rather than
   * `disabled`, which would drop keyboard focus to the page's top. */
  private busy = false;

  constructor(private readonly shell: Shell) {
    this.captureButton.addEventListener("click", () => void this.capture());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.refund();
    });
    byId("detail-refresh").addEventListener("click", () => void this.load());
  }

  /** Open `paymentId` (the lists are hidden by the caller); focus its heading when `focus`. */
  async show(paymentId: string, focus: boolean): Promise<void> {
    if (paymentId !== this.paymentId) {
      this.paymentId = paymentId;
      this.payment = null;
      this.refunds = [];
      this.attempt = null;
      this.form.reset();
      this.setFieldError(this.amount, this.amountError, "");
      this.setFieldError(this.reason, this.reasonError, "");
      setText(this.actionError, "");
      setText(this.title, `Payment ${paymentId}`);
      setText(this.sub, "Loading…");
      this.facts.replaceChildren();
      this.captureBox.hidden = true;
      this.form.hidden = true;
      this.refundsBox.replaceChildren();
      this.eventsBox.replaceChildren();
    }
    this.section.hidden = false;
    if (focus) this.title.focus();
    this.pollsLeft = POLLS;
    await this.load();
  }

  /** Close the detail; returns the payment that was open, for focus to go back to its row. */
  hide(): string | null {
    const was = this.section.hidden ? null : this.paymentId;
    this.section.hidden = true;
    clearTimeout(this.timer);
    this.paymentId = null;
    return was;
  }

  private async load(): Promise<void> {
    const api = this.shell.api();
    const paymentId = this.paymentId;
    if (!api || !paymentId) return;
    clearTimeout(this.timer);
    this.refundsBox.setAttribute("aria-busy", "true");
    this.eventsBox.setAttribute("aria-busy", "true");
    try {
      const [payment, refunds] = await Promise.all([paymentsApi.getPayment(api, paymentId), paymentsApi.listRefunds(api, paymentId)]);
      if (paymentId !== this.paymentId) return; // the merchant moved on meanwhile
      this.payment = payment;
      this.refunds = refunds.data;
      this.shell.clearError();
      this.render();
      // A refund's events are about the refund (object_id rfnd_…): gather them with the payment's.
      const lists = await Promise.all([payment.id, ...refunds.data.map((r) => r.id)].map((objectId) => paymentsApi.listEvents(api, objectId)));
      const events = lists.flatMap((l) => l.data).sort((a, b) => b.created_at.localeCompare(a.created_at));
      const deliveries = await Promise.all(events.map((e) => paymentsApi.listDeliveries(api, e.id)));
      if (paymentId !== this.paymentId) return;
      this.renderEvents(events, deliveries.map((d) => d.data));
    } catch (error) {
      if (paymentId !== this.paymentId) return;
      if (error instanceof ApiError && error.status === 404) {
        setText(this.title, "Payment not found");
        setText(this.sub, `There is no payment ${paymentId} for this key.`);
      }
      this.shell.fail("load the payment", error, () => void this.load());
      return;
    } finally {
      this.refundsBox.setAttribute("aria-busy", "false");
      this.eventsBox.setAttribute("aria-busy", "false");
    }
    const settling = this.payment?.status === "pending" || this.refunds.some((r) => r.status === "pending");
    if (settling && this.pollsLeft-- > 0) this.timer = setTimeout(() => void this.load(), POLL_MS);
  }

  private render(): void {
    const p = this.payment;
    if (!p) return;
    const badge = paymentBadge(p);
    const left = refundable(p, this.refunds);
    const pendingRefunds = this.refunds.filter((r) => r.status === "pending").reduce((sum, r) => sum + r.amount, 0);
    setText(this.title, `Payment of ${money(p.amount, p.currency)}`);
    setText(this.sub, `${badge.label} · ${paymentMethod(p)} · ${absoluteTime(p.created_at)}`);
    const fact = (term: string, ...value: (Node | string)[]) => [h("dt", {}, term), h("dd", {}, ...value)];
    const card = p.card ? ` (expires ${String(p.card.expiry_month).padStart(2, "0")}/${p.card.expiry_year})` : "";
    const metadata = Object.entries(p.metadata);
    this.facts.replaceChildren(
      ...fact("Amount", money(p.amount, p.currency)),
      ...fact("Status", h("span", { class: `badge ${badge.tone}`, "data-status": p.status }, badge.label)),
      ...fact("Payment ID", h("code", {}, p.id)),
      ...fact("Method", paymentMethod(p) + card),
      ...fact("Order", h("code", {}, p.order_id)),
      ...fact("Captured", p.captured ? `Yes, ${absoluteTime(p.captured_at)}` : "No"),
      ...fact(
        "Amount refunded",
        money(p.amount_refunded, p.currency) + (pendingRefunds ? ` (${money(pendingRefunds, p.currency)} pending)` : ""),
      ),
      ...(p.description ? fact("Description", p.description) : []),
      ...(p.error_description || p.error_code ? fact("Failure", `${p.error_description ?? ""} ${p.error_code ? `(${p.error_code})` : ""}`.trim()) : []),
      ...(metadata.length ? fact("Metadata", h("code", {}, metadata.map(([k, v]) => `${k}: ${v}`).join(", "))) : []),
      ...fact("Created", absoluteTime(p.created_at)),
    );

    this.captureBox.hidden = !(p.status === "success" && !p.captured);
    const formWasShown = !this.form.hidden;
    this.form.hidden = left <= 0;
    setText(byId("refund-currency"), p.currency);
    setText(
      this.amountHint,
      `Up to ${money(left, p.currency)} can be refunded${left < p.amount ? ` (${money(p.amount - left, p.currency)} already refunded or on its way)` : ""}.`,
    );
    this.amount.placeholder = majorText(left, p.currency);
    // The form was where focus was: when it goes (nothing left to refund), focus goes to the refunds.
    if (formWasShown && this.form.hidden && this.form.contains(document.activeElement)) this.refundsTitle.focus();

    this.refundsBox.replaceChildren(
      this.refunds.length
        ? h(
            "table",
            { class: "deliveries refunds" },
            h("caption", { class: "sr" }, "Refunds of this payment, newest first"),
            h(
              "thead",
              {},
              h("tr", {}, ...["Refund", "Amount", "Status", "Reason", "Created"].map((name) => h("th", { scope: "col", class: name === "Amount" ? "num" : null }, name))),
            ),
            h(
              "tbody",
              {},
              ...this.refunds.map((r) => {
                const b = refundBadge(r);
                return h(
                  "tr",
                  { class: "row", "data-refund-id": r.id },
                  h("td", { class: "mono" }, r.id),
                  h("td", { class: "num" }, money(r.amount, r.currency)),
                  h("td", {}, h("span", { class: `badge ${b.tone}` }, b.label)),
                  h("td", {}, r.reason ?? "—"),
                  h("td", { class: "time", title: absoluteTime(r.created_at) }, relativeTime(r.created_at)),
                );
              }),
            ),
          )
        : h("p", { class: "sub" }, "No refunds."),
    );
  }

  private renderEvents(events: GatewayEvent[], deliveries: Delivery[][]): void {
    if (!events.length) {
      this.eventsBox.replaceChildren(h("p", { class: "sub" }, "No events yet."));
      return;
    }
    this.eventsBox.replaceChildren(
      h(
        "ol",
        { class: "timeline" },
        ...events.map((e, i) => {
          const sent = deliveries[i] ?? [];
          return h(
            "li",
            { class: "event", "data-event-id": e.id, "data-event": e.type },
            h(
              "div",
              { class: "event-head" },
              h("code", { class: "event-type" }, e.type),
              h("span", { class: "time", title: absoluteTime(e.created_at) }, relativeTime(e.created_at)),
              h("code", { class: "event-id" }, e.id),
            ),
            sent.length
              ? h(
                  "ul",
                  { class: "event-deliveries", "aria-label": `Deliveries of ${e.type}` },
                  ...sent.map((d) => {
                    const status = deliveryStatus(d);
                    return h(
                      "li",
                      { "data-delivery-id": d.id },
                      h("span", { class: "url", title: d.url }, d.url ?? d.endpoint_id),
                      h("span", { class: `badge ${status.tone}` }, status.label),
                      h("span", {}, `${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}`),
                      h("span", {}, lastResponse(d)),
                    );
                  }),
                )
              : h("p", { class: "sub" }, "Not sent to any endpoint."),
          );
        }),
      ),
    );
  }

  private async capture(): Promise<void> {
    const api = this.shell.api();
    const p = this.payment;
    if (!api || !p || this.busy) return;
    setText(this.actionError, "");
    const yes = await this.shell.confirm({
      title: "Capture this payment?",
      text: `${money(p.amount, p.currency)} from ${paymentMethod(p)} will be captured and settled to you. A payment is captured in full, once.`,
      action: `Capture ${money(p.amount, p.currency)}`,
      tone: "primary",
    });
    if (!yes) return;
    this.setBusy(true);
    try {
      const captured = await paymentsApi.capture(api, p.id);
      this.shell.toast(`Captured ${money(captured.amount, captured.currency)} of ${captured.id}.`);
      await this.load();
      this.title.focus(); // the Capture button is gone
    } catch (error) {
      setText(this.actionError, `Could not capture: ${apiMessage(error)}`);
      this.captureButton.focus();
    } finally {
      this.setBusy(false);
    }
  }

  private async refund(): Promise<void> {
    const api = this.shell.api();
    const p = this.payment;
    if (!api || !p || this.busy) return;
    this.setFieldError(this.amount, this.amountError, "");
    this.setFieldError(this.reason, this.reasonError, "");
    setText(this.actionError, "");
    const parsed = parseAmount(this.amount.value, p.currency);
    if (!parsed.ok) {
      this.setFieldError(this.amount, this.amountError, parsed.problem);
      this.amount.focus();
      return;
    }
    const reason = this.reason.value.trim();
    const amount = money(parsed.minor, p.currency);
    const yes = await this.shell.confirm({
      title: "Refund this payment?",
      text: `${amount} of ${money(p.amount, p.currency)} goes back to ${paymentMethod(p)}${reason ? `, with the reason “${reason}”` : ""}. A refund cannot be cancelled once it is sent.`,
      action: `Refund ${amount}`,
    });
    if (!yes) return;
    // One Idempotency-Key per refund the merchant confirms. Sending the same refund again after
    // its answer was lost reuses the key, so it can never refund twice; a changed amount or reason
    // is a new refund with a new key.
    if (!this.attempt || this.attempt.amount !== parsed.minor || this.attempt.reason !== reason) {
      this.attempt = { key: `dash_rfnd_${randomId(12)}`, amount: parsed.minor, reason };
    }
    this.setBusy(true);
    try {
      const refund = await paymentsApi.createRefund(api, p.id, { amount: parsed.minor, reason: reason || null }, this.attempt.key);
      this.attempt = null;
      this.form.reset();
      this.shell.toast(`Refund of ${amount} created (${refund.id}); it is ${refund.status}.`);
      this.pollsLeft = POLLS;
      await this.load();
    } catch (error) {
      if (!(error instanceof ApiError && error.retryable)) this.attempt = null;
      this.showRefundError(error);
      void this.load(); // what is left to refund may have changed elsewhere
    } finally {
      this.setBusy(false);
    }
  }

  private showRefundError(error: unknown): void {
    const text = apiMessage(error);
    const field = error instanceof ApiError ? error.field : null;
    if (field === "amount") {
      this.setFieldError(this.amount, this.amountError, text);
      this.amount.focus();
    } else if (field === "reason") {
      this.setFieldError(this.reason, this.reasonError, text);
      this.reason.focus();
    } else {
      setText(this.actionError, `Could not refund: ${text}${field ? ` (field: ${field})` : ""}`);
      this.submit.focus();
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    for (const button of [this.captureButton, this.submit]) {
      if (busy) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
  }

  private setFieldError(input: HTMLInputElement, error: HTMLElement, message: string): void {
    setText(error, message);
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

/** The API's own description of what went wrong (its code and field are shown where they help). */
function apiMessage(error: unknown): string {
  if (error instanceof ApiError && error.status !== 401 && error.status !== 0) return error.message;
  return describeError(error);
}
