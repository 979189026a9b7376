/** The endpoints panel: list, add (with event selection), enable/disable, secrets, test event, delete. */

import { ApiError } from "../api";
import { EVENT_TYPES, type Endpoint, webhooksApi } from "./api";
import { byId, h } from "./dom";
import { absoluteTime, relativeTime } from "./format";
import type { Shell } from "./shell";

type Action = "toggle" | "reveal" | "rotate" | "test" | "delete";

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
      h(
        "div",
        { class: "ep-actions" },
        button("test", "Send test event"),
        button("toggle", e.enabled ? "Disable" : "Enable"),
        button("delete", "Delete", "btn danger-ghost small"),
        h("span", { class: "ep-meta", title: absoluteTime(e.created_at) }, `Added ${relativeTime(e.created_at)} · `, h("code", {}, e.id)),
      ),
    );
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
      this.shell.fail(action === "test" ? "send the test event" : `${action} the endpoint`, error, () => void this.act(e, action));
    }
  }
}
