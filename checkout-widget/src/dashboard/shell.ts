/** What the dashboard's panels share: the API config, the error banner, toasts and confirmations. */

import { type ApiConfig, ApiError } from "../api";
import { byId } from "./dom";

export interface Shell {
  /** The current API config, or null before a key is entered. */
  api(): ApiConfig | null;
  toast(message: string): void;
  /** Show a failed call in the banner, with a retry. */
  fail(what: string, error: unknown, retry: () => void): void;
  clearError(): void;
  /** Ask in the modal #confirm dialog; focus goes back where it was when the dialog closes. */
  confirm(options: { title: string; text: string; action: string; tone?: "danger" | "primary" }): Promise<boolean>;
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "the API key was not accepted. Check it and connect again.";
    if (error.status === 0) return `${error.message}`;
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function createShell(getApi: () => ApiConfig | null): Shell {
  const banner = byId("error-banner");
  const bannerText = byId("error-text");
  const bannerRetry = byId<HTMLButtonElement>("error-retry");
  const toastEl = byId("toast");
  const dialog = byId<HTMLDialogElement>("confirm");
  let retry: (() => void) | null = null;
  let toastTimer: ReturnType<typeof setTimeout> | undefined;

  bannerRetry.addEventListener("click", () => {
    const again = retry;
    banner.hidden = true;
    again?.();
  });

  return {
    api: getApi,
    toast(message) {
      toastEl.textContent = message;
      toastEl.classList.add("show");
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => toastEl.classList.remove("show"), 4000);
    },
    fail(what, error, again) {
      const text = `Could not ${what}: ${describeError(error)}`;
      retry = again;
      if (banner.hidden || bannerText.textContent !== text) {
        bannerText.textContent = text;
        banner.hidden = false;
      }
    },
    clearError() {
      if (!banner.hidden) banner.hidden = true;
      retry = null;
    },
    confirm({ title, text, action, tone = "danger" }) {
      byId("confirm-title").textContent = title;
      byId("confirm-text").textContent = text;
      const ok = byId<HTMLButtonElement>("confirm-ok");
      const cancel = byId<HTMLButtonElement>("confirm-cancel");
      ok.textContent = action;
      ok.className = `btn ${tone}`;
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      return new Promise<boolean>((resolve) => {
        const done = (answer: boolean) => {
          ok.removeEventListener("click", onOk);
          cancel.removeEventListener("click", onCancel);
          dialog.removeEventListener("cancel", onCancel);
          if (dialog.open) dialog.close();
          // Chromium returns focus by itself, but not every browser does, and not when the
          // opener was re-rendered meanwhile: then the caller moves focus itself.
          if (opener?.isConnected && document.activeElement !== opener) opener.focus();
          resolve(answer);
        };
        const onOk = () => done(true);
        const onCancel = () => done(false);
        // Escape is a "no". Its "cancel" event, not "close": "close" is queued, so one left over
        // from this dialog could reach the next confirmation when it is asked for straight away.
        ok.addEventListener("click", onOk);
        cancel.addEventListener("click", onCancel);
        dialog.addEventListener("cancel", onCancel);
        dialog.showModal();
        cancel.focus();
      });
    },
  };
}
