/** The orders list: a status and receipt filter, pages, and rows that expand into the order's payments. */

import { byId, h, setText } from "./dom";
import { absoluteTime, pageRange, relativeTime } from "./format";
import { ORDER_STATUS_LABELS, money, orderBadge } from "./payment-format";
import { paymentRow } from "./payments-list";
import { ORDER_STATUSES, type Order, type OrderFilter, paymentsApi } from "./payments-api";
import type { Shell } from "./shell";

const COLUMNS = 7;

export class OrdersPanel {
  private readonly body = byId<HTMLTableSectionElement>("order-rows");
  private readonly empty = byId("orders-empty");
  private readonly pageInfo = byId("orders-page-info");
  private readonly prev = byId<HTMLButtonElement>("orders-prev");
  private readonly next = byId<HTMLButtonElement>("orders-next");
  private readonly status = byId<HTMLSelectElement>("order-status");
  private readonly receipt = byId<HTMLInputElement>("order-receipt");
  private filter: OrderFilter = { status: "", receipt: "", limit: 10, offset: 0 };
  private total = 0;

  constructor(private readonly shell: Shell) {
    for (const s of ORDER_STATUSES) this.status.append(h("option", { value: s }, ORDER_STATUS_LABELS[s]));
    const refilter = () => {
      this.filter = { ...this.filter, status: this.status.value, receipt: this.receipt.value.trim(), offset: 0 };
      void this.load();
    };
    this.status.addEventListener("change", refilter);
    this.receipt.addEventListener("change", refilter);
    this.prev.addEventListener("click", () => this.turn(-1));
    this.next.addEventListener("click", () => this.turn(1));
    this.body.replaceChildren(h("tr", { class: "loading-row" }, h("td", { colspan: COLUMNS }, "Loading orders…")));
  }

  async load(): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    this.body.setAttribute("aria-busy", "true");
    try {
      const page = await paymentsApi.listOrders(api, this.filter);
      this.total = page.total;
      this.shell.clearError();
      this.render(page.data);
    } catch (error) {
      this.body.replaceChildren(h("tr", { class: "loading-row" }, h("td", { colspan: COLUMNS }, "Orders could not be loaded.")));
      this.shell.fail("load orders", error, () => void this.load());
    } finally {
      this.body.setAttribute("aria-busy", "false");
    }
  }

  private turn(direction: 1 | -1): void {
    const offset = this.filter.offset + direction * this.filter.limit;
    if (offset < 0 || offset >= this.total) return;
    this.filter = { ...this.filter, offset };
    void this.load();
  }

  private render(orders: Order[]): void {
    this.body.replaceChildren(...orders.flatMap((o) => this.rows(o)));
    this.empty.hidden = orders.length > 0;
    setText(
      this.empty,
      this.filter.status || this.filter.receipt ? "No orders match these filters." : "No orders yet. Orders you create with POST /orders appear here.",
    );
    setText(this.pageInfo, pageRange(this.filter.offset, orders.length, this.total));
    this.prev.disabled = this.filter.offset === 0;
    this.next.disabled = this.filter.offset + orders.length >= this.total;
  }

  private rows(o: Order): HTMLTableRowElement[] {
    const badge = orderBadge(o);
    const detailsId = `order-payments-${o.id}`;
    const expand = h(
      "button",
      { type: "button", class: "expand", "aria-expanded": "false", "aria-controls": detailsId, "aria-label": `Payments of ${o.id}` },
      "▶",
    );
    const details = h("tr", { class: "details", id: detailsId, hidden: true }, h("td", { colspan: COLUMNS }));
    expand.addEventListener("click", () => {
      const open = expand.getAttribute("aria-expanded") !== "true";
      expand.setAttribute("aria-expanded", String(open));
      details.hidden = !open;
      if (open) void this.loadPayments(o, details.firstElementChild as HTMLElement);
    });
    const row = h(
      "tr",
      { class: "row", "data-order-id": o.id },
      h("td", {}, expand),
      h("td", { class: "mono" }, o.id),
      h("td", { class: "num" }, money(o.amount, o.currency)),
      h("td", {}, h("span", { class: `badge ${badge.tone}` }, badge.label)),
      h("td", {}, o.receipt ?? "—"),
      h("td", { class: "num" }, String(o.attempts)),
      h("td", { class: "time", title: absoluteTime(o.created_at) }, relativeTime(o.created_at)),
    );
    return [row, details];
  }

  private async loadPayments(o: Order, cell: HTMLElement): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    cell.replaceChildren(h("div", { class: "detail" }, "Loading payments…"));
    try {
      const { data } = await paymentsApi.listOrderPayments(api, o.id);
      cell.replaceChildren(
        h(
          "div",
          { class: "detail" },
          data.length
            ? h(
                "table",
                { class: "deliveries nested" },
                h("caption", { class: "sr" }, `Payments of ${o.id}`),
                h(
                  "thead",
                  {},
                  h("tr", {}, ...["Payment", "Amount", "Status", "Method", "Order", "Created"].map((name) => h("th", { scope: "col" }, name))),
                ),
                h("tbody", {}, ...data.map(paymentRow)),
              )
            : h("p", {}, "No payments for this order yet."),
        ),
      );
    } catch (error) {
      this.shell.fail(`load the payments of ${o.id}`, error, () => void this.loadPayments(o, cell));
    }
  }
}
