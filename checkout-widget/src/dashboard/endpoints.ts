/**
 * The endpoints panel: list, add (with event selection), enable/disable, secrets, test event,
 * delete; health (why the gateway disabled an endpoint, with a one-click re-enable) and recovering
 * failed deliveries.
 */

import { ApiError } from "../api";
import { EVENT_TYPES, type Endpoint, webhooksApi } from "./api";
import { byId, h } from "./dom";
import { absoluteTime, relativeTime } from "./format";
import type { Shell } from "./shell";

type Action = "toggle" | "reenable" | "reveal" | "rotate" | "test" | "recover" | "delete";

/** How far back "Recover failed deliveries" goes; the API takes at most 30 days. The default covers
 * an endpoint disabled after 5 days of failures. */
const RECOVER_WINDOWS: readonly { label: string; hours: number }[] = [
  { label: "last hour", hours: 1 },
  { label: "last 24 hours", hours: 24 },
  { label: "last 3 days", hours: 72 },
  { label: "last 7 days", hours: 168 },
  { label: "last 30 days", hours: 720 },
];
const DEFAULT_RECOVER_HOURS = 168;

export class EndpointsPanel {
  endpoints: Endpoint[] = [];
  private readonly list = byId("endpoints");
  private readonly empty = byId("endpoints-empty");
  private readonly form = byId<HTMLFormElement>("add-form");
  private readonly toggle = byId<HTMLButtonElement>("add-toggle");
  private readonly url = byId<HTMLInputElement>("add-url");
  private readonly urlError = byId("add-url-error");
  private readonly description = byId<HTMLInputElement>("add-description");
  private readonly allEvents = byId<HTMLInputElement>("add-all-events");
  private readonly eventsError = byId("add-events-error");
  private readonly eventBoxes: HTMLInputElement[];
  /** Full secrets the merchant asked to see, by endpoint id; masked again on reload of the page. */
  private readonly revealed = new Map<string, string>();
  /** The recover window chosen per endpoint, in hours, kept across re-renders. */
  private readonly recoverHours = new Map<string, number>();

  constructor(
    private readonly shell: Shell,
    private readonly onChange: (endpoints: Endpoint[]) => void,
    private readonly onDeliveriesChanged: () => void,
  ) {
    const grid = byId("add-events");
    this.eventBoxes = EVENT_TYPES.map((event) => {
      const box = h("input", { type: "checkbox", value: event, checked: true });
      grid.append(h("label", { class: "check" }, box, h("code", {}, event)));
      return box;
    });
    this.toggle.addEventListener("click", () => this.showForm(this.form.hidden));
    byId("add-cancel").addEventListener("click", () => this.showForm(false));
    this.allEvents.addEventListener("change", () => {
      for (const box of this.eventBoxes) box.checked = this.allEvents.checked;
    });
    for (const box of this.eventBoxes) {
      box.addEventListener("change", () => {
        const checked = this.eventBoxes.filter((b) => b.checked).length;
        this.allEvents.checked = checked === this.eventBoxes.length;
        this.allEvents.indeterminate = checked > 0 && checked < this.eventBoxes.length;
      });
    }
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.add();
    });
    byId("new-secret-dismiss").addEventListener("click", () => {
      byId("new-secret").hidden = true;
      this.toggle.focus();
    });
  }

  async load(focusKey?: string): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    this.list.setAttribute("aria-busy", "true");
    try {
      const page = await webhooksApi.listEndpoints(api);
      this.endpoints = page.data;
      this.shell.clearError();
      this.render(focusKey);
      this.onChange(this.endpoints);
    } catch (error) {
      this.shell.fail("load endpoints", error, () => void this.load());
    } finally {
      this.list.setAttribute("aria-busy", "false");
    }
  }

  private showForm(show: boolean): void {
    this.form.hidden = !show;
    this.toggle.setAttribute("aria-expanded", String(show));
    if (show) {
      byId("new-secret").hidden = true;
      this.url.focus();
    } else {
      this.form.reset();
      this.allEvents.indeterminate = false;
      this.setError(this.url, this.urlError, "");
      this.eventsError.textContent = "";
      this.toggle.focus();
    }
  }

  private setError(input: HTMLInputElement, error: HTMLElement, message: string): void {
    error.textContent = message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  private async add(): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    const url = this.url.value.trim();
    let problem = "";
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") problem = "The URL must start with http:// or https://";
    } catch {
      problem = url ? "Enter a full URL, like https://example.com/webhooks" : "Enter the URL that should receive events";
    }
    this.setError(this.url, this.urlError, problem);
    // eventBoxes were made from EVENT_TYPES, in the same order.
    const events = EVENT_TYPES.filter((_, i) => this.eventBoxes[i]?.checked);
    this.eventsError.textContent = events.length ? "" : "Choose at least one event";
    if (problem) return this.url.focus();
    if (!events.length) return this.eventBoxes[0]?.focus();

    const submit = byId<HTMLButtonElement>("add-submit");
    submit.disabled = true;
    try {
      const description = this.description.value.trim();
      const endpoint = await webhooksApi.createEndpoint(api, { url, events, ...(description ? { description } : {}) });
      this.revealed.set(endpoint.id, endpoint.secret);
      this.showForm(false);
      byId("new-secret-value").textContent = endpoint.secret;
      const callout = byId("new-secret");
      callout.hidden = false;
      callout.focus();
      this.shell.toast(`Endpoint added: ${endpoint.url}`);
      await this.load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        this.setError(this.url, this.urlError, error.message);
        this.url.focus();
      } else {
        this.shell.fail("add the endpoint", error, () => void this.add());
      }
    } finally {
      submit.disabled = false;
    }
  }

  private render(focusKey?: string): void {
    this.empty.hidden = this.endpoints.length > 0;
    this.list.replaceChildren(...this.endpoints.map((endpoint) => this.card(endpoint)));
    if (focusKey) this.list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  private card(e: Endpoint): HTMLElement {
    const allEvents = e.events.length === EVENT_TYPES.length;
    const secret = this.revealed.get(e.id) ?? e.secret;
    const button = (action: Action, label: string, cls = "btn ghost small", extra: Record<string, string> = {}) =>
      h("button", { type: "button", class: cls, "data-focus-key": `${e.id}:${action}`, onclick: () => void this.act(e, action), ...extra }, label);
    const titleId = `ep-${e.id}`;
    return h(
      "article",
      { class: `endpoint${e.enabled ? "" : " disabled"}`, "aria-labelledby": titleId, "data-endpoint-id": e.id },
      h(
        "div",
        { class: "ep-top" },
        h("h3", { class: "ep-url", id: titleId }, h("code", {}, e.url)),
        h("span", { class: `badge ${e.enabled ? "enabled" : "disabled"}` }, e.enabled ? "Enabled" : "Disabled"),
      ),
      e.description ? h("p", { class: "ep-desc" }, e.description) : null,
      allEvents
        ? h("ul", { class: "chips", "aria-label": "Events" }, h("li", {}, "All events"))
        : h("ul", { class: "chips", "aria-label": "Events" }, ...e.events.map((ev) => h("li", {}, ev))),
      h(
        "div",
        { class: "ep-secret" },
        h("span", {}, "Signing secret"),
        h("code", { "data-secret": this.revealed.has(e.id) ? "revealed" : "masked" }, secret),
        this.revealed.has(e.id) ? button("reveal", "Hide") : button("reveal", "Reveal"),
        button("rotate", "Rotate secret"),
      ),
      this.health(e, button),
      h(
        "div",
        { class: "ep-actions" },
        button("test", "Send test event"),
        e.enabled ? this.recover(e, button) : null,
        button("toggle", e.enabled ? "Disable" : "Enable"),
        button("delete", "Delete", "btn danger-ghost small"),
        h("span", { class: "ep-meta", title: absoluteTime(e.created_at) }, `Added ${relativeTime(e.created_at)} · `, h("code", {}, e.id)),
      ),
    );
  }

  /** Why the gateway disabled it (with a one-click re-enable), or that it is failing right now. */
  private health(e: Endpoint, button: (action: Action, label: string, cls?: string) => HTMLElement): HTMLElement | null {
    if (!e.enabled && e.disabled_reason) {
      return h(
        "div",
        { class: "ep-health disabled", "data-health": "disabled" },
        h("p", {}, h("strong", {}, "Disabled by the gateway"), ` ${relativeTime(e.disabled_at)}: ${e.disabled_reason}`),
        button("reenable", "Re-enable", "btn primary small"),
      );
    }
    if (e.enabled && e.consecutive_failures > 0) {
      const since = e.failing_since ? ` since ${relativeTime(e.failing_since)}` : "";
      const attempts = e.consecutive_failures === 1 ? "1 failed attempt" : `${e.consecutive_failures} failed attempts in a row`;
      return h(
        "div",
        { class: "ep-health", "data-health": "failing", title: e.failing_since ? absoluteTime(e.failing_since) : "" },
        h("p", {}, h("strong", {}, "Failing"), `: ${attempts}${since}. An endpoint where nothing succeeds for days is disabled.`),
      );
    }
    return null;
  }

  private recover(e: Endpoint, button: (action: Action, label: string) => HTMLElement): HTMLElement {
    const chosen = this.recoverHours.get(e.id) ?? DEFAULT_RECOVER_HOURS;
    const select = h(
      "select",
      { "aria-label": `Recover failed deliveries to ${e.url} from the`, "data-recover-window": e.id },
      ...RECOVER_WINDOWS.map((w) => h("option", { value: w.hours, selected: w.hours === chosen }, w.label)),
    );
    select.addEventListener("change", () => this.recoverHours.set(e.id, Number(select.value)));
    return h("span", { class: "ep-recover" }, button("recover", "Recover failed deliveries"), select);
  }

  private async act(e: Endpoint, action: Action): Promise<void> {
    const api = this.shell.api();
    if (!api) return;
    const key = `${e.id}:${action}`;
    try {
      switch (action) {
        case "toggle":
          await webhooksApi.updateEndpoint(api, e.id, { enabled: !e.enabled });
          this.shell.toast(`${e.enabled ? "Disabled" : "Enabled"} ${e.url}`);
          break;
        case "reenable":
          await webhooksApi.updateEndpoint(api, e.id, { enabled: true });
          this.shell.toast(`Re-enabled ${e.url}`);
          await this.load(`${e.id}:toggle`); // the Re-enable button is gone: focus stays on the card
          return;
        case "reveal":
          if (this.revealed.has(e.id)) this.revealed.delete(e.id);
          else this.revealed.set(e.id, (await webhooksApi.revealEndpoint(api, e.id)).secret);
          break;
        case "rotate": {
          const ok = await this.shell.confirm({
            title: "Rotate the signing secret?",
            text: `A new secret signs events to ${e.url} from now on. The old one keeps signing alongside it for 24 hours, so you can update your server without missing events.`,
            action: "Rotate secret",
          });
          if (!ok) return;
          const rotated = await webhooksApi.rotateSecret(api, e.id);
          this.revealed.set(e.id, rotated.secret);
          this.shell.toast("Secret rotated. The old secret stays valid for 24 hours.");
          break;
        }
        case "test":
          await webhooksApi.sendTest(api, e.id);
          this.shell.toast(`Test event sent to ${e.url}`);
          this.onDeliveriesChanged();
          return;
        case "recover": {
          const hours = this.recoverHours.get(e.id) ?? DEFAULT_RECOVER_HOURS;
          const since = new Date(Date.now() - hours * 3600_000);
          const span = RECOVER_WINDOWS.find((w) => w.hours === hours)?.label ?? `last ${hours} hours`;
          const ok = await this.shell.confirm({
            title: "Recover failed deliveries?",
            text: `Every failed delivery to ${e.url} of an event from the ${span} (since ${absoluteTime(since.toISOString())}) is sent again now.`,
            action: "Recover",
          });
          if (!ok) return;
          const recovery = await webhooksApi.recoverDeliveries(api, e.id, { since: since.toISOString() });
          const queued = recovery.requeued === 1 ? "1 failed delivery" : `${recovery.requeued} failed deliveries`;
          this.shell.toast(`Sending ${queued} again${recovery.has_more ? ". More are left: recover again to send them." : "."}`);
          this.onDeliveriesChanged();
          this.list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
          return;
        }
        case "delete": {
          const ok = await this.shell.confirm({
            title: "Delete this endpoint?",
            text: `${e.url} will get no more events. Its delivery log stays readable.`,
            action: "Delete endpoint",
          });
          if (!ok) return;
          await webhooksApi.deleteEndpoint(api, e.id);
          this.revealed.delete(e.id);
          this.shell.toast(`Deleted ${e.url}`);
          await this.load();
          this.toggle.focus();
          return;
        }
      }
      await this.load(key);
    } catch (error) {
      const what = action === "test" ? "send the test event" : action === "recover" ? "recover failed deliveries" : `${action} the endpoint`;
      this.shell.fail(what, error, () => void this.act(e, action));
    }
  }
}
