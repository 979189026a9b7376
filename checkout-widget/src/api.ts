/**
 * A small client for the gateway API: fetch, the JSON error shape, idempotent retries and following
 * a payment until it settles. Bodies stay in the API's snake_case; the hosted page maps the few
 * fields the SDK hands on to camelCase. No DOM, so the unit tests run it in Node with a fake fetch.
 * Payload types come from docs/openapi.json (`npm run generate` writes src/generated/openapi.ts).
 */

import type { components } from "./generated/openapi";

type Schemas = components["schemas"];
export type CreatePaymentBody = Schemas["CreatePayment"];
export type Payment = Schemas["Payment"];
export type ErrorResponse = Schemas["ErrorResponse"];

export interface ApiConfig {
  /** e.g. "http://localhost:8000/api/v1" (no trailing slash needed). */
  baseUrl: string;
  key: string;
  fetch?: typeof fetch;
}

/** The gateway's ErrorResponse, `{"error": {code, description, field}}`, or a transport failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** Worth sending again unchanged (with the same Idempotency-Key for a POST). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 409 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function apiRequest<T>(config: ApiConfig, method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { "X-Api-Key": config.key, Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  const url = config.baseUrl.replace(/\/+$/, "") + path;
  let response: Response;
  try {
    response = await (config.fetch ?? fetch)(url, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    throw new ApiError(0, "NETWORK_ERROR", "Could not reach the payment gateway. Check your connection and try again.", null, cause);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's HTML error page, say): fall through to the generic message below.
  }
  if (!response.ok) {
    // Checked field by field: a proxy or load balancer may answer instead of the gateway.
    const error = (data as { error?: { [K in keyof ErrorResponse["error"]]?: unknown } } | null)?.error;
    throw new ApiError(
      response.status,
      typeof error?.code === "string" ? error.code : "SERVER_ERROR",
      typeof error?.description === "string" ? error.description : `The gateway answered HTTP ${response.status}`,
      typeof error?.field === "string" ? error.field : null,
    );
  }
  return data as T;
}

// ---- payments -----------------------------------------------------------------------------

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * POST /payments, resending the *same* request with the *same* Idempotency-Key when the answer is
 * lost or the key is still in use, so a flaky network can never charge twice.
 */
export async function createPayment(
  config: ApiConfig,
  body: CreatePaymentBody,
  idempotencyKey: string,
  { attempts = 4, backoffMs = 400, signal }: { attempts?: number; backoffMs?: number; signal?: AbortSignal } = {},
): Promise<Payment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await apiRequest<Payment>(config, "POST", "/payments", { body, idempotencyKey, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || attempt >= attempts) throw error;
      await sleep(backoffMs * attempt, signal);
    }
  }
}

/** Poll GET /payments/{id} until it leaves `pending`: quickly at first, then backing off. */
export async function followPayment(
  config: ApiConfig,
  paymentId: string,
  { timeoutMs = 60_000, firstDelayMs = 250, maxDelayMs = 2_000, signal }: { timeoutMs?: number; firstDelayMs?: number; maxDelayMs?: number; signal?: AbortSignal } = {},
): Promise<Payment> {
  const deadline = Date.now() + timeoutMs;
  let delay = firstDelayMs;
  for (;;) {
    await sleep(delay, signal);
    try {
      const payment = await apiRequest<Payment>(config, "GET", `/payments/${encodeURIComponent(paymentId)}`, signal ? { signal } : {});
      if (payment.status !== "pending") return payment;
    } catch (error) {
      // A blip while following must not lose a payment that is going through: keep polling.
      if (!(error instanceof ApiError) || !error.retryable) throw error;
    }
    if (Date.now() + delay > deadline) {
      throw new ApiError(
        0,
        "PAYMENT_TIMEOUT",
        "Your payment is taking longer than usual. You will not be charged twice: check with the merchant before trying again.",
      );
    }
    delay = Math.min(maxDelayMs, Math.round(delay * 1.5));
  }
}
