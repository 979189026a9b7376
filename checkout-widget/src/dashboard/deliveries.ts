/**
 * The delivery log: filters, pages, rows that expand into their attempts, Retry, and a refresh
 * every few seconds. Rows are kept by delivery id and updated in place, so a refresh never steals
 * keyboard focus or collapses what the merchant opened.
 */

import { DELIVERY_EVENTS, type Delivery, type DeliveryDetail, type DeliveryFilter, type Endpoint, webhooksApi } from "./api";
import { byId, h, setAttr, setText } from "./dom";
import { absoluteTime, deliveryStatus, duration, lastResponse, pageRange, prettyBody, relativeTime } from "./format";
import type { Shell } from "./shell";

const REFRESH_MS = 3000;
const COLUMNS = 10;

interface Row {
  row: HTMLTableRowElement;
  details: HTMLTableRowElement;
  expand: HTMLButtonElement;
  cells: {
    event: HTMLElement;
    url: HTMLElement;
    status: HTMLElement;
    attempts: HTMLElement;
    response: HTMLElement;
    duration: HTMLElement;
    next: HTMLElement;
    created: HTMLElement;
  };
  retry: HTMLButtonElement;
  delivery: Delivery;
  /** `updated_at` of the delivery whose details are shown, to refetch them only when it changed. */
  detailsVersion: string | null;
}

export class DeliveriesPanel {
  private readonly body = byId<HTMLTableSectionElement>("deliveries");
  private readonly empty = byId("deliveries-empty");
  private readonly pageInfo = byId("page-info");
  private readonly prev = byId<HTMLButtonElement>("page-prev");
  private readonly next = byId<HTMLButtonElement>("page-next");
  private readonly updated = byId("updated");
  private readonly auto = byId<HTMLInputElement>("auto-refresh");
  private readonly status = byId<HTMLSelectElement>("filter-status");
  private readonly event = byId<HTMLSelectElement>("filter-event");
  private readonly endpoint = byId<HTMLSelectElement>("filter-endpoint");
  private readonly pageSize = byId<HTMLSelectElement>("page-size");
  private readonly rows = new Map<string, Row>();
  private readonly expanded = new Set<string>();
  private filter: DeliveryFilter = { status: "", event: "", endpointId: "", limit: 20, offset: 0 };
  private total = 0;
  private loading = false;
  private loadedAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly shell: Shell) {
    for (const name of DELIVERY_EVENTS) this.event.append(h("option", { value: name }, name));
    const refilter = () => {
      this.filter = {
        status: this.status.value,
        event: this.event.value,
        endpointId: this.endpoint.value,
        limit: Number(this.pageSize.value),
        offset: 0,
      };
      void this.load();
    };
    for (const select of [this.status, this.event, this.endpoint, this.pageSize]) select.addEventListener("change", refilter);
    this.prev.addEventListener("click", () => this.turn(-1));
    this.next.addEventListener("click", () => this.turn(1));
    byId("refresh-now").addEventListener("click", () => void this.load());
    this.auto.addEventListener("change", () => this.schedule());
    document.addEventListener("visibilitychange", () => this.schedule());
    this.renderLoading();
  }

  /** Offer the current endpoints in the filter, keeping the selection if it still exists. */
  setEndpoints(endpoints: Endpoint[]): void {
    const selected = this.endpoint.value;
    this.endpoint.replaceChildren(
      h("option", { value: "" }, "All endpoints"),
      ...endpoints.map((e) => h("option", { value: e.id }, e.description ? `${e.description} (${e.url})` : e.url)),
    );
    this.endpoint.value = endpoints.some((e) => e.id === selected) ? selected : "";
  }

  /** Start or stop the periodic refresh to match the checkbox and whether the tab is visible. */
  schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.auto.checked && !document.hidden && this.shell.api()) {
      this.timer = setInterval(() => void this.load({ quiet: true }), REFRESH_MS);
    }
  }

  async load({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
    const api = this.shell.api();
    if (!api || (quiet && this.loading)) return;
    this.loading = true;
    try {
      const page = await webhooksApi.listDeliveries(api, this.filter);
      if (page.data.length === 0 && page.total > 0 && this.filter.offset > 0) {
        // The page we were on emptied (filters, deletions): go to the last one that has rows.
        this.filter = { ...this.filter, offset: Math.max(0, Math.floor((page.total - 1) / this.filter.limit) * this.filter.limit) };
        this.loading = false;
        return this.load({ quiet });
      }
      this.total = page.total;
      this.shell.clearError();
      this.render(page.data);
      this.loadedAt = Date.now();
      await this.refreshDetails();
    } catch (error) {
      this.shell.fail("load the delivery log", error, () => void this.load());
    } finally {
      this.loading = false;
      this.renderUpdated();
    }
  }

  private turn(direction: 1 | -1): void {
    const offset = this.filter.offset + direction * this.filter.limit;
    if (offset < 0 || offset >= this.total) return;
    this.filter = { ...this.filter, offset };
    void this.load();
  }

  private renderUpdated(): void {
    setText(this.updated, this.loadedAt ? `Updated ${new Date(this.loadedAt).toLocaleTimeString()}` : "Not loaded yet");
  }

  private renderLoading(): void {
    this.body.replaceChildren(h("tr", { class: "loading-row" }, h("td", { colspan: COLUMNS }, "Loading deliveries…")));
  }

  private render(deliveries: Delivery[]): void {
    const seen = new Set(deliveries.map((d) => d.id));
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.row.remove();
        row.details.remove();
        this.rows.delete(id);
      }
    }
    for (const node of Array.from(this.body.querySelectorAll("tr.loading-row"))) node.remove();
    // Walk the wanted order, moving a row only when it is out of place (moving a node blurs it).
    let cursor: ChildNode | null = this.body.firstChild;
    for (const delivery of deliveries) {
      let row = this.rows.get(delivery.id);
      if (!row) {
        row = this.createRow(delivery);
        this.rows.set(delivery.id, row);
      }
      this.updateRow(row, delivery);
      if (cursor === row.row) {
        cursor = row.details.nextSibling;
      } else {
        this.body.insertBefore(row.row, cursor);
        this.body.insertBefore(row.details, cursor);
      }
    }
    this.empty.hidden = deliveries.length > 0;
    if (!deliveries.length) {
      const filtered = this.filter.status || this.filter.event || this.filter.endpointId;
      setText(
        this.empty,
        filtered
          ? "No deliveries match these filters."
          : "No deliveries yet. Events appear here as payments and refunds happen; “Send test event” on an endpoint makes one now.",
      );
    }
    setText(this.pageInfo, pageRange(this.filter.offset, deliveries.length, this.total));
    this.prev.disabled = this.filter.offset === 0;
    this.next.disabled = this.filter.offset + deliveries.length >= this.total;
  }

  private createRow(d: Delivery): Row {
    const cell = (cls = "") => h("td", cls ? { class: cls } : {});
    const cells = {
      event: cell("event"),
      url: cell("url"),
      status: cell(),
      attempts: cell("num"),
      response: cell("response"),
      duration: cell("num"),
      next: cell("time"),
      created: cell("time"),
    };
    const detailsId = `details-${d.id}`;
    const expand = h("button", {
      type: "button",
      class: "expand",
      "aria-expanded": "false",
      "aria-controls": detailsId,
      "aria-label": `Attempts of ${d.event} to ${d.url ?? d.endpoint_id}`,
    }, "▶");
    const retry = h("button", { type: "button", class: "btn ghost small", "aria-label": `Retry ${d.event} to ${d.url ?? d.endpoint_id}` }, "Retry");
    const row = h(
      "tr",
      { class: "row", "data-delivery-id": d.id },
      h("td", {}, expand),
      cells.event,
      cells.url,
      cells.status,
      cells.attempts,
      cells.response,
      cells.duration,
      cells.next,
      cells.created,
      h("td", {}, retry),
    );
    const details = h("tr", { class: "details", id: detailsId, hidden: true }, h("td", { colspan: COLUMNS }));
    const entry: Row = { row, details, expand, cells, retry, delivery: d, detailsVersion: null };
    expand.addEventListener("click", () => void this.toggle(entry));
    retry.addEventListener("click", () => void this.retry(entry));
    if (this.expanded.has(d.id)) {
      expand.setAttribute("aria-expanded", "true");
      details.hidden = false;
    }
    return entry;
  }

  private updateRow(row: Row, d: Delivery): void {
    row.delivery = d;
    const { tone, label } = deliveryStatus(d);
    const c = row.cells;
    setText(c.event, d.event);
    setText(c.url, d.url ?? d.endpoint_id);
    setAttr(c.url, "title", d.url);
    let badge = c.status.firstElementChild;
    if (!badge) {
      badge = h("span");
      c.status.append(badge);
    }
    setAttr(badge, "class", `badge ${tone}`);
    setText(badge, label);
    setText(c.attempts, String(d.attempts));
    setText(c.response, lastResponse(d));
    setAttr(c.response, "class", `response${d.response_code !== null && d.response_code >= 300 ? " bad" : d.last_error ? " bad" : ""}`);
    setAttr(c.response, "title", d.last_error);
    setText(c.duration, duration(d.duration_ms));
    setText(c.next, d.next_retry_at ? relativeTime(d.next_retry_at) : "—");
    setAttr(c.next, "title", d.next_retry_at ? absoluteTime(d.next_retry_at) : null);
    setText(c.created, relativeTime(d.created_at));
    setAttr(c.created, "title", absoluteTime(d.created_at));
  }

  private async toggle(row: Row): Promise<void> {
    const open = row.expand.getAttribute("aria-expanded") !== "true";
    row.expand.setAttribute("aria-expanded", String(open));
    row.details.hidden = !open;
    if (open) {
      this.expanded.add(row.delivery.id);
      row.detailsVersion = null;
      const cell = row.details.firstElementChild as HTMLElement;
      if (!cell.firstChild) cell.append(h("div", { class: "detail" }, "Loading attempts…"));
      await this.loadDetails(row);
    } else {
      this.expanded.delete(row.delivery.id);
    }
  }

  private async refreshDetails(): Promise<void> {
    const stale = [...this.rows.values()].filter((r) => this.expanded.has(r.delivery.id) && r.detailsVersion !== r.delivery.updated_at);
    await Promise.all(stale.map((r) => this.loadDetails(r)));
  }

  private async loadDetails(row: Row): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    try {
      const detail = await webhooksApi.getDelivery(api, row.delivery.id);
      row.detailsVersion = detail.updated_at;
      (row.details.firstElementChild as HTMLElement).replaceChildren(this.detailView(detail));
    } catch (error) {
      this.shell.fail("load the delivery's attempts", error, () => void this.loadDetails(row));
    }
  }

  private detailView(d: DeliveryDetail): HTMLElement {
    const attempts = [...d.attempt_log].sort((a, b) => b.number - a.number);
    return h(
      "div",
      { class: "detail" },
      h(
        "p",
        { class: "detail-ids" },
        h("span", {}, "Delivery ", h("code", {}, d.id)),
        h("span", {}, "Event ", h("code", {}, d.event_id)),
        h("span", {}, "Endpoint ", h("code", {}, d.endpoint_id)),
      ),
      h("h3", {}, attempts.length ? `Attempts (${attempts.length})` : "Attempts"),
      attempts.length
        ? h(
            "ol",
            { class: "attempts", reversed: true },
            ...attempts.map((a) => {
              const code = a.response_code !== null ? `HTTP ${a.response_code}` : "No response";
              const body = a.error ? a.error + (a.response_body ? `\n\n${prettyBody(a.response_body)}` : "") : prettyBody(a.response_body);
              return h(
                "li",
                { class: "attempt", "data-attempt": a.number },
                h(
                  "div",
                  { class: "attempt-head" },
                  h("b", {}, `Attempt ${a.number}`),
                  h("span", { class: `badge ${a.response_code !== null && a.response_code < 300 ? "success" : "failed"}` }, code),
                  h("span", {}, duration(a.duration_ms)),
                  h("span", {}, a.trigger === "manual" ? "Manual retry" : a.trigger === "scheduled" ? "Scheduled" : a.trigger),
                  h("span", { title: absoluteTime(a.attempted_at) }, absoluteTime(a.attempted_at)),
                ),
                body ? h("pre", { "aria-label": `Response to attempt ${a.number}`, tabindex: 0 }, body) : null,
              );
            }),
          )
        : h("p", {}, d.status === "pending" ? "First attempt is on its way." : "No attempts recorded."),
      h(
        "details",
        { class: "payload" },
        h("summary", {}, "Event payload"),
        h("pre", { tabindex: 0 }, JSON.stringify(d.payload, null, 2)),
      ),
    );
  }

  private async retry(row: Row): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    row.retry.disabled = true;
    try {
      await webhooksApi.retryDelivery(api, row.delivery.id);
      this.shell.toast(`Retrying ${row.delivery.event} to ${row.delivery.url ?? row.delivery.endpoint_id}`);
      // The attempt runs on the gateway's poller; the next refreshes show it land.
      setTimeout(() => void this.load({ quiet: true }), 600);
    } catch (error) {
      this.shell.fail("retry the delivery", error, () => void this.retry(row));
    } finally {
      row.retry.disabled = false;
      row.retry.focus();
    }
  }

  clear(): void {
    this.rows.clear();
    this.expanded.clear();
    this.renderLoading();
  }
}
