import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, type CreatePaymentBody, createPayment, followPayment } from "./api";

type Call = { url: string; init: RequestInit };

function fakeFetch(answers: (Response | Error)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { fetch: fetchImpl, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const body: CreatePaymentBody = { amount: 50000, currency: "INR", method: "upi", order_id: "order_1", vpa: "success@upi" };

describe("createPayment", () => {
  it("resends the same request with the same key after a lost answer", async () => {
    const { fetch, calls } = fakeFetch([new TypeError("network down"), json(409, { error: { code: "IDEMPOTENCY_KEY_IN_USE", description: "busy" } }), json(201, { id: "pay_1", status: "pending" })]);
    const payment = await createPayment({ baseUrl: "http://api/v1/", key: "k", fetch }, body, "chk_1", { backoffMs: 1 });
    assert.equal(payment.id, "pay_1");
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assert.equal(call.url, "http://api/v1/payments");
      assert.equal((call.init.headers as Record<string, string>)["Idempotency-Key"], "chk_1");
      assert.equal(call.init.body, JSON.stringify(body));
    }
  });

  it("does not resend a request the gateway refused", async () => {
    const { fetch, calls } = fakeFetch([json(400, { error: { code: "BAD_REQUEST_ERROR", description: "vpa must look like name@bank", field: "vpa" } })]);
    await assert.rejects(createPayment({ baseUrl: "http://api", key: "k", fetch }, body, "chk_2", { backoffMs: 1 }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.deepEqual([error.status, error.code, error.field, error.message], [400, "BAD_REQUEST_ERROR", "vpa", "vpa must look like name@bank"]);
      return true;
    });
    assert.equal(calls.length, 1);
  });
});

describe("followPayment", () => {
  it("polls until the payment settles, riding out a blip", async () => {
    const { fetch, calls } = fakeFetch([
      json(200, { id: "pay_1", status: "pending" }),
      json(503, { error: { code: "SERVER_ERROR", description: "db down" } }),
      json(200, { id: "pay_1", status: "failed", error_code: "CARD_DECLINED" }),
    ]);
    const payment = await followPayment({ baseUrl: "http://api", key: "k", fetch }, "pay_1", { firstDelayMs: 1, maxDelayMs: 2 });
    assert.equal(payment.status, "failed");
    assert.equal(calls.length, 3);
    assert.equal(calls[0]?.url, "http://api/payments/pay_1");
  });

  it("gives up after the timeout with a clear error", async () => {
    const pending = () => json(200, { id: "pay_1", status: "pending" });
    const { fetch } = fakeFetch(Array.from({ length: 50 }, pending));
    await assert.rejects(followPayment({ baseUrl: "http://api", key: "k", fetch }, "pay_1", { timeoutMs: 20, firstDelayMs: 2, maxDelayMs: 4 }), {
      code: "PAYMENT_TIMEOUT",
    });
  });
});
