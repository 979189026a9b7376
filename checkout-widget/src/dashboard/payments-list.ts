/**
 * The payments list: status, method and order filters, pages, and a link per payment that opens
 * it (#payment=<id>, so the browser's Back button and a copied URL work as a merchant expects).
 */

import { byId, h, setText } from "./dom";
import { absoluteTime, pageRange, relativeTime } from "./format";
import { PAYMENT_STATUS_LABELS, money, paymentBadge, paymentMethod } from "./payment-format";
import { PAYMENT_METHODS, PAYMENT_STATUSES, type Payment, type PaymentFilter, paymentsApi } from "./payments-api";
import type { Shell } from "./shell";

const METHOD_LABELS: Readonly<Record<Payment["method"], string>> = { card: "Card", upi: "UPI" };

export const paymentHref = (paymentId: string): string => `#${new URLSearchParams({ payment: paymentId })}`;

/** The payment a URL's fragment opens, or null for the lists. */
export function paymentInHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, "")).get("payment") || null;
}

/** One payment as a table row; the orders panel uses it for an order's payments too. */
export function paymentRow(p: Payment): HTMLTableRowElement {
  const badge = paymentBadge(p);
  return h(
    "tr",
    { class: "row", "data-payment-id": p.id },
    h("td", {}, h("a", { href: paymentHref(p.id), class: "mono" }, p.id)),
    h("td", { class: "num" }, money(p.amount, p.currency)),
    h("td", {}, h("span", { class: `badge ${badge.tone}` }, badge.label)),
    h("td", {}, paymentMethod(p)),
    h("td", { class: "mono" }, p.order_id),
    h("td", { class: "time", title: absoluteTime(p.created_at) }, relativeTime(p.created_at)),
  );
}

export class PaymentsPanel {
  private readonly body = byId<HTMLTableSectionElement>("payment-rows");
  private readonly empty = byId("payments-empty");
  private readonly pageInfo = byId("payments-page-info");
  private readonly prev = byId<HTMLButtonElement>("payments-prev");
  private readonly next = byId<HTMLButtonElement>("payments-next");
  private readonly updated = byId("payments-updated");
  private readonly status = byId<HTMLSelectElement>("payment-status");
  private readonly method = byId<HTMLSelectElement>("payment-method");
  private readonly orderId = byId<HTMLInputElement>("payment-order");
  private readonly pageSize = byId<HTMLSelectElement>("payment-page-size");
  private filter: PaymentFilter = { status: "", method: "", orderId: "", limit: 20, offset: 0 };
  private total = 0;

  constructor(private readonly shell: Shell) {
    for (const s of PAYMENT_STATUSES) this.status.append(h("option", { value: s }, PAYMENT_STATUS_LABELS[s]));
    for (const m of PAYMENT_METHODS) this.method.append(h("option", { value: m }, METHOD_LABELS[m]));
    const refilter = () => {
      this.filter = {
        status: this.status.value,
        method: this.method.value,
        orderId: this.orderId.value.trim(),
        limit: Number(this.pageSize.value),
        offset: 0,
      };
      void this.load();
    };
    for (const control of [this.status, this.method, this.orderId, this.pageSize]) control.addEventListener("change", refilter);
    this.prev.addEventListener("click", () => this.turn(-1));
    this.next.addEventListener("click", () => this.turn(1));
    byId("payments-refresh").addEventListener("click", () => void this.load());
    this.body.replaceChildren(h("tr", { class: "loading-row" }, h("td", { colspan: 6 }, "Loading payments…")));
  }

  async load(): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    this.body.setAttribute("aria-busy", "true");
    try {
      const page = await paymentsApi.listPayments(api, this.filter);
      this.total = page.total;
      this.shell.clearError();
      this.render(page.data);
      setText(this.updated, `Updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      // Not "Loading…" for ever: the banner says why and offers to try again.
      this.body.replaceChildren(h("tr", { class: "loading-row" }, h("td", { colspan: 6 }, "Payments could not be loaded.")));
      this.shell.fail("load payments", error, () => void this.load());
    } finally {
      this.body.setAttribute("aria-busy", "false");
    }
  }

  /** Put focus back on a payment's link after its detail closes, or on the list's heading. */
  focusPayment(paymentId: string): void {
    const link = this.body.querySelector<HTMLAnchorElement>(`tr[data-payment-id="${CSS.escape(paymentId)}"] a`);
    (link ?? byId("payments-title")).focus();
  }

  private turn(direction: 1 | -1): void {
    const offset = this.filter.offset + direction * this.filter.limit;
    if (offset < 0 || offset >= this.total) return;
    this.filter = { ...this.filter, offset };
    void this.load();
  }

  private render(payments: Payment[]): void {
    this.body.replaceChildren(...payments.map(paymentRow));
    this.empty.hidden = payments.length > 0;
    const filtered = this.filter.status || this.filter.method || this.filter.orderId;
    setText(
      this.empty,
      filtered ? "No payments match these filters." : "No payments yet. Payments made with your key through the API or checkout appear here.",
    );
    setText(this.pageInfo, pageRange(this.filter.offset, payments.length, this.total));
    this.prev.disabled = this.filter.offset === 0;
    this.next.disabled = this.filter.offset + payments.length >= this.total;
  }
}
