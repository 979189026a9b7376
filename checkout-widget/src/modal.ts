/**
 * The checkout modal on the merchant's page: an accessible dialog around the hosted page's iframe.
 *
 * It lives in a shadow root so the merchant's CSS cannot restyle it, and its styles are a
 * constructed stylesheet, which a strict `style-src` policy on the merchant's page does not block.
 * While open, everything else in <body> is `inert`, so neither Tab nor a screen reader can leave.
 *
 * Focus order: close button → the frame's controls → a sentinel that sends focus back to the close
 * button. Leaving the frame is left to the browser's own Tab navigation (Chromium does not let a
 * parent take focus back from a cross-origin frame by script without a click); entering it at its
 * last control (Shift+Tab on the close button) is asked of the frame by message. Escape inside the
 * frame arrives as a message too.
 */

export interface ModalEvents {
  /** The close button or Escape (in this document); the owner decides whether to close. */
  onCloseRequest(): void;
  /** Keyboard focus should enter the frame at its last control (Shift+Tab on the close button). */
  onFocusFrame(position: "last"): void;
  /** The shopper asked to load the frame again after it failed to load. */
  onReload(): void;
}

const CSS = `
:host{all:initial}
.backdrop{position:fixed;inset:0;z-index:2147483646;display:flex;align-items:center;justify-content:center;
 background:rgba(15,23,42,.62);backdrop-filter:blur(3px);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 animation:fade .16s ease-out}
.dialog{position:relative;display:flex;flex-direction:column;width:min(440px,calc(100vw - 24px));max-height:calc(100vh - 24px);
 background:#fff;color:#0f172a;border-radius:14px;box-shadow:0 24px 64px rgba(15,23,42,.35);overflow:hidden;outline:none;
 animation:rise .2s cubic-bezier(.2,.8,.2,1)}
.head{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 20px;background:var(--accent);color:#fff}
.logo{flex:none;display:grid;place-items:center;width:34px;height:34px;border-radius:9px;background:rgba(255,255,255,.18);font-weight:700;font-size:16px}
.titles{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{margin:0;font-size:12.5px;opacity:.92}
.close{flex:none;width:36px;height:36px;border:0;border-radius:9px;background:transparent;color:inherit;font-size:24px;line-height:1;cursor:pointer}
.close:hover{background:rgba(255,255,255,.16)}
.close:focus-visible,.retry:focus-visible{outline:3px solid #fff;outline-offset:-3px;box-shadow:0 0 0 5px rgba(15,23,42,.5)}
.body{position:relative;min-height:180px;overflow:auto}
iframe{display:block;width:100%;height:480px;border:0;background:#fff;transition:height .15s ease}
.loading iframe{visibility:hidden;height:300px}
.state{position:absolute;inset:0;display:none;flex-direction:column;align-items:center;justify-content:center;gap:14px;padding:24px;text-align:center;color:#334155}
.loading .state.wait,.failed .state.error{display:flex}
.failed iframe{display:none}
.failed .body{min-height:220px}
.spinner{width:30px;height:30px;border-radius:50%;border:3px solid #e2e8f0;border-top-color:var(--accent);animation:spin .8s linear infinite}
.retry{padding:9px 18px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@keyframes fade{from{opacity:0}}
@keyframes rise{from{opacity:0;transform:translateY(12px) scale(.98)}}
@keyframes spin{to{transform:rotate(360deg)}}
@media (max-width:480px){.backdrop{align-items:stretch}.dialog{width:100vw;max-height:none;height:100%;border-radius:0}}
@media (prefers-reduced-motion:reduce){.backdrop,.dialog,.spinner{animation:none}iframe{transition:none}}
`;

let sheet: CSSStyleSheet | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

export class Modal {
  readonly iframe: HTMLIFrameElement;
  private readonly host: HTMLElement;
  private readonly dialog: HTMLElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly live: HTMLElement;
  private readonly sentinel: HTMLElement;
  private readonly errorText: HTMLElement;
  private readonly inerted: HTMLElement[] = [];
  private opener: Element | null = null;
  private overflow = "";
  private frameReady = false;

  constructor(title: string, subtitle: string, accent: string, frameSrc: string, private readonly events: ModalEvents) {
    this.host = el("div", { "data-payment-gateway": "checkout" });
    const root = this.host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      sheet ??= new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(el("style", {}, CSS));
    }

    const backdrop = el("div", { class: "backdrop loading", part: "backdrop" });
    backdrop.style.setProperty("--accent", accent);
    this.dialog = el("div", {
      class: "dialog",
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": "pgw-title",
      "aria-describedby": "pgw-sub",
      tabindex: "-1",
    });
    const head = el("div", { class: "head" });
    const titles = el("div", { class: "titles" });
    titles.append(el("h2", { id: "pgw-title" }, title), el("p", { class: "sub", id: "pgw-sub" }, subtitle));
    this.closeButton = el("button", { type: "button", class: "close", "aria-label": "Close checkout" }, "×");
    head.append(el("span", { class: "logo", "aria-hidden": "true" }, (title.trim()[0] ?? "P").toUpperCase()), titles, this.closeButton);

    const body = el("div", { class: "body" });
    this.iframe = el("iframe", {
      title: "Secure payment form",
      src: frameSrc,
      allow: "payment",
      // The frame needs its own origin (for fetch and postMessage checks), scripts and forms;
      // it gets no top-level navigation, popups or downloads.
      sandbox: "allow-scripts allow-same-origin allow-forms",
      referrerpolicy: "origin",
    });
    const wait = el("div", { class: "state wait" });
    wait.append(el("div", { class: "spinner", "aria-hidden": "true" }), el("p", {}, "Loading secure payment form…"));
    const error = el("div", { class: "state error", role: "alert" });
    this.errorText = el("p");
    this.retryButton = el("button", { type: "button", class: "retry" }, "Try again");
    error.append(this.errorText, this.retryButton);
    this.live = el("p", { class: "sr", role: "status", "aria-live": "polite" });
    // Tab past the frame's last control lands here (natively), and we send it round to the start.
    this.sentinel = el("span", { tabindex: "0", class: "sr" });
    this.sentinel.addEventListener("focus", () => this.closeButton.focus());
    body.append(this.iframe, this.sentinel, wait, error);
    this.dialog.append(head, body, this.live);
    backdrop.append(this.dialog);
    root.append(backdrop);

    this.closeButton.addEventListener("click", () => this.events.onCloseRequest());
    this.retryButton.addEventListener("click", () => this.events.onReload());
    this.dialog.addEventListener("keydown", (e) => this.onKeydown(e));
    // A click on the backdrop is not a dismissal: a stray click must not abandon a payment in flight.
  }

  /** Show the dialog, make the rest of the page inert and move focus into the dialog. */
  mount(): void {
    this.opener = document.activeElement;
    for (const child of Array.from(document.body.children)) {
      if (child instanceof HTMLElement && !child.inert && child !== this.host) {
        child.inert = true;
        this.inerted.push(child);
      }
    }
    this.overflow = document.documentElement.style.overflow;
    document.documentElement.style.overflow = "hidden";
    document.body.append(this.host);
    this.dialog.focus();
  }

  /** Remove the dialog, restore the page and return focus to what had it before `mount`. */
  unmount(): void {
    this.host.remove();
    for (const node of this.inerted.splice(0)) node.inert = false;
    document.documentElement.style.overflow = this.overflow;
    if (this.opener instanceof HTMLElement && this.opener.isConnected) this.opener.focus();
  }

  showFrame(): void {
    this.frameReady = true;
    this.backdrop().classList.remove("loading", "failed");
  }

  showLoading(): void {
    this.frameReady = false;
    this.backdrop().classList.remove("failed");
    this.backdrop().classList.add("loading");
  }

  showError(message: string): void {
    this.frameReady = false;
    this.errorText.textContent = message;
    this.backdrop().classList.remove("loading");
    this.backdrop().classList.add("failed");
    this.retryButton.focus();
  }

  setFrameHeight(height: number): void {
    this.iframe.style.height = `${Math.ceil(height)}px`;
  }

  announce(text: string): void {
    this.live.textContent = text;
  }

  private backdrop(): HTMLElement {
    return this.dialog.parentElement as HTMLElement;
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.events.onCloseRequest();
      return;
    }
    if (e.key !== "Tab") return;
    const active = (this.host.shadowRoot as ShadowRoot).activeElement;
    if (this.frameReady) {
      // Forward from the close button the browser enters the frame by itself; backward we ask the
      // frame to focus its last control.
      if (e.shiftKey && (active === this.closeButton || active === this.dialog)) {
        e.preventDefault();
        this.events.onFocusFrame("last");
      }
      return;
    }
    // No frame to visit (loading, or failed to load): cycle over the dialog's own buttons.
    e.preventDefault();
    const failed = this.backdrop().classList.contains("failed");
    (failed && active === this.closeButton ? this.retryButton : this.closeButton).focus();
  }
}
