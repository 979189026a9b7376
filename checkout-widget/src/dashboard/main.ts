/** The webhook console (dashboard-webhooks.html): the API key, then the endpoints and delivery panels. */

import type { ApiConfig } from "../api";
import { pageConfig } from "../config";
import { DeliveriesPanel } from "./deliveries";
import { byId } from "./dom";
import { EndpointsPanel } from "./endpoints";
import { createShell } from "./shell";
import { fetchTestKey } from "./test-key";

const KEY_STORAGE = "pgw.dashboard.apiKey";
const config = pageConfig();
let api: ApiConfig | null = null;

const keyInput = byId<HTMLInputElement>("api-key");
const keyStatus = byId("key-status");
const visibility = byId<HTMLButtonElement>("key-visibility");
const shell = createShell(() => api);
const deliveries = new DeliveriesPanel(shell);
const endpoints = new EndpointsPanel(
  shell,
  (list) => deliveries.setEndpoints(list),
  () => void deliveries.load(),
);

function storedKey(): string {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return ""; // storage blocked: the merchant just types the key again
  }
}

async function connect(): Promise<void> {
  const key = keyInput.value.trim();
  if (!key) {
    api = null;
    keyInput.setAttribute("aria-invalid", "true");
    keyStatus.textContent = "Enter your API key to see your endpoints and deliveries.";
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
  deliveries.clear();
  await Promise.all([endpoints.load(), deliveries.load()]);
  if (byId("error-banner").hidden) {
    keyStatus.textContent = `Connected to ${config.apiBaseUrl}${key.startsWith("key_test_") ? " with a test key" : ""}.`;
    keyStatus.className = "hint ok";
  } else {
    keyStatus.textContent = "Not connected.";
    keyStatus.className = "hint";
  }
  deliveries.schedule();
}

async function start(): Promise<void> {
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
    keyStatus.textContent = "Enter your API key to see your endpoints and deliveries.";
    byId("endpoints").setAttribute("aria-busy", "false");
  }
}

void start();
