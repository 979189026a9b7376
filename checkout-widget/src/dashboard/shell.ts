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
  confirm(options: { title: string; text: string; action: string }): Promise<boolean>;
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
    confirm({ title, text, action }) {
      byId("confirm-title").textContent = title;
      byId("confirm-text").textContent = text;
      const ok = byId<HTMLButtonElement>("confirm-ok");
      const cancel = byId<HTMLButtonElement>("confirm-cancel");
      ok.textContent = action;
      return new Promise<boolean>((resolve) => {
        const done = (answer: boolean) => {
          ok.removeEventListener("click", onOk);
          cancel.removeEventListener("click", onCancel);
          dialog.removeEventListener("close", onClose);
          if (dialog.open) dialog.close();
          resolve(answer);
        };
        const onOk = () => done(true);
        const onCancel = () => done(false);
        // Escape closes a modal <dialog> by itself: that is a "no".
        const onClose = () => done(false);
        ok.addEventListener("click", onOk);
        cancel.addEventListener("click", onCancel);
        dialog.addEventListener("close", onClose);
        dialog.showModal();
        cancel.focus();
      });
    },
  };
}
