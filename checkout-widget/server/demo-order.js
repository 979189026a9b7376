// The demo shop's order. In test mode, before it serves checkout.html, the server makes sure the
// gateway has an unpaid order with receipt "order_999" for ₹500.00, so that the seed's snippet
// (`new PaymentGateway({ key, orderId: "order_999", onSuccess, onFailure })`, no amount) charges an
// order made through the Orders API. Creating an order takes the secret key (TEST_API_KEY): it is
// used here, server to server, and never written into a page. When the gateway cannot be reached
// the shop still loads, and the checkout treats order_999 as a free-form order id.

export const DEMO_ORDER = Object.freeze({ receipt: "order_999", amount: 50000, currency: "INR" });
// Per request; the page waits for at most two of them (look up, then create).
const REQUEST_TIMEOUT_MS = 3_000;

class Unavailable extends Error {}

async function call(api, method, path, body) {
  // A timer of our own rather than AbortSignal.timeout(), whose unref'd timer lets a process with
  // nothing else to do exit mid-request. It covers reading the body too.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), api.timeoutMs);
  try {
    const response = await api.fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { "X-Api-Key": api.key, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: controller.signal,
    });
    const data = await response.json().catch((error) => {
      if (controller.signal.aborted) throw error;
      return null; // not JSON: judged by its status alone
    });
    return { status: response.status, data };
  } catch (cause) {
    throw new Unavailable(`${method} ${path}: ${controller.signal.aborted ? `no answer within ${api.timeoutMs} ms` : "the gateway cannot be reached"}`, { cause });
  } finally {
    clearTimeout(timer);
  }
}

const usable = (order) =>
  order?.status !== "paid" && order?.amount === DEMO_ORDER.amount && order?.currency === DEMO_ORDER.currency && typeof order?.id === "string";

/**
 * Makes sure the newest order with receipt order_999 is unpaid and for ₹500.00, creating one when
 * there is none or it is paid (a receipt names the newest order with it, so the new one wins).
 * Never throws: `{ outcome: "found" | "created", id }` or `{ outcome: "unavailable", reason }`.
 * @param api  { baseUrl, key, fetch, timeoutMs? }
 */
export async function ensureDemoOrder(api) {
  const settings = { timeoutMs: REQUEST_TIMEOUT_MS, ...api };
  try {
    const found = await call(settings, "GET", `/orders/${DEMO_ORDER.receipt}`);
    if (found.status === 200 && usable(found.data)) return { outcome: "found", id: found.data.id };
    if (found.status !== 200 && found.status !== 404) throw new Unavailable(`GET /orders/${DEMO_ORDER.receipt} answered HTTP ${found.status}`);
    const created = await call(settings, "POST", "/orders", { ...DEMO_ORDER, notes: { source: "demo shop" } });
    if (created.status !== 201 || typeof created.data?.id !== "string") throw new Unavailable(`POST /orders answered HTTP ${created.status}`);
    return { outcome: "created", id: created.data.id };
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error;
    return { outcome: "unavailable", reason: error.message };
  }
}

/**
 * `ensure()` for the request handler: page loads that arrive while a check is running share it, so
 * a burst of them creates one order, not one each. Logs a failure once, until the next success.
 */
export function demoOrderKeeper(api, log = console) {
  let running = null;
  let failing = false;
  return function ensure() {
    running ??= ensureDemoOrder(api)
      .then((result) => {
        if (result.outcome === "unavailable" && !failing) {
          log.warn(`[checkout-widget] the demo shop's order ${DEMO_ORDER.receipt} could not be made (${result.reason}); its checkout falls back to a free-form order id`);
        } else if (result.outcome === "created") {
          log.log(`[checkout-widget] created the demo shop's order ${result.id} (receipt ${DEMO_ORDER.receipt})`);
        }
        failing = result.outcome === "unavailable";
        return result;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
}
