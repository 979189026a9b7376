/**
 * The API key form every dashboard page starts with: the key is remembered for the tab (so moving
 * between the payments and webhooks pages does not ask again), filled in with the test key when
 * the server offers one, and "Connect" loads the page's panels.
 */

import type { ApiConfig } from "../api";
import { pageConfig } from "../config";
import { byId } from "./dom";
import { fetchTestKey } from "./test-key";

const KEY_STORAGE = "pgw.dashboard.apiKey";

export interface ConnectionOptions {
  /** What to tell the merchant when there is no key yet, e.g. "Enter your API key to see your payments." */
  prompt: string;
  /** Load the page's panels with the new key; a failure shows in #error-banner. */
  load: () => Promise<void>;
  /** There is no key to connect with (yet). */
  idle?: () => void;
}

export interface Connection {
  api(): ApiConfig | null;
  start(): Promise<void>;
}

function storedKey(): string {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return ""; // storage blocked: the merchant just types the key again
  }
}

export function createConnection({ prompt, load, idle }: ConnectionOptions): Connection {
  const config = pageConfig();
  const keyInput = byId<HTMLInputElement>("api-key");
  const keyStatus = byId("key-status");
  const visibility = byId<HTMLButtonElement>("key-visibility");
  let api: ApiConfig | null = null;

  async function connect(): Promise<void> {
    const key = keyInput.value.trim();
    if (!key) {
      api = null;
      keyInput.setAttribute("aria-invalid", "true");
      keyStatus.textContent = prompt;
      keyStatus.className = "hint";
      keyInput.focus();
      return;
    }
    keyInput.removeAttribute("aria-invalid");
    api = { baseUrl: config.apiBaseUrl, key };
    try {
      sessionStorage.setItem(KEY_STORAGE, key);
    } catch {
      // Not fatal: the key just is not remembered for a reload.
    }
    keyStatus.textContent = `Connecting to ${config.apiBaseUrl}…`;
    keyStatus.className = "hint";
    await load();
    if (byId("error-banner").hidden) {
      keyStatus.textContent = `Connected to ${config.apiBaseUrl}${key.startsWith("key_test_") ? " with a test key" : ""}.`;
      keyStatus.className = "hint ok";
    } else {
      keyStatus.textContent = "Not connected.";
      keyStatus.className = "hint";
    }
  }

  return {
    api: () => api,
    async start() {
      byId("mode-badge").hidden = !config.testMode;
      // Listeners first: the merchant can type a key and connect while the test key is being fetched.
      byId<HTMLFormElement>("key-form").addEventListener("submit", (e) => {
        e.preventDefault();
        void connect();
      });
      visibility.addEventListener("click", () => {
        const show = keyInput.type === "password";
        keyInput.type = show ? "text" : "password";
        visibility.textContent = show ? "Hide" : "Show";
      });
      keyInput.value = storedKey();
      if (!keyInput.value && config.testKeyUrl) {
        const key = await fetchTestKey(config.testKeyUrl);
        if (keyInput.value || api) return; // they typed one meanwhile: theirs wins
        keyInput.value = key;
      }
      if (keyInput.value) void connect();
      else {
        keyStatus.textContent = prompt;
        idle?.();
      }
    },
  };
}
