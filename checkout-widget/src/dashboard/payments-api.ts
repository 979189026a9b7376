/**
 * The payments page's API calls, typed as docs/openapi.json describes them (snake_case): every type
 * and value list here comes from src/generated/openapi.ts, which `npm run generate` writes.
 */

import { type ApiConfig, apiRequest } from "../api";
import { type components, orderStatusValues, paymentMethodValues, paymentStatusValues } from "../generated/openapi";

type Schemas = components["schemas"];
export type Payment = Schemas["Payment"];
export type Refund = Schemas["Refund"];
export type Order = Schemas["Order"];
export type GatewayEvent = Schemas["Event"];
export type Delivery = Schemas["WebhookDelivery"];
export type PaymentStatus = Schemas["PaymentStatus"];
export type OrderStatus = Schemas["OrderStatus"];
export type RefundStatus = Schemas["RefundStatus"];

export const PAYMENT_STATUSES: readonly PaymentStatus[] = paymentStatusValues;
export const PAYMENT_METHODS: readonly Schemas["PaymentMethod"][] = paymentMethodValues;
export const ORDER_STATUSES: readonly OrderStatus[] = orderStatusValues;

export interface PaymentFilter {
  status: string;
  method: string;
  orderId: string;
  limit: number;
  offset: number;
}

export interface OrderFilter {
  status: string;
  receipt: string;
  limit: number;
  offset: number;
}

/** Most events one page shows for a payment (its own and its refunds'); the API's own page limit. */
export const EVENTS_LIMIT = 100;

const id = (value: string): string => encodeURIComponent(value);

export const paymentsApi = {
  listPayments: (c: ApiConfig, f: PaymentFilter) => {
    const query = new URLSearchParams({ limit: String(f.limit), offset: String(f.offset) });
    if (f.status) query.set("status", f.status);
    if (f.method) query.set("method", f.method);
    if (f.orderId) query.set("order_id", f.orderId);
    return apiRequest<Schemas["PaymentList"]>(c, "GET", `/payments?${query}`);
  },
  getPayment: (c: ApiConfig, paymentId: string) => apiRequest<Payment>(c, "GET", `/payments/${id(paymentId)}`),
  capture: (c: ApiConfig, paymentId: string) =>
    apiRequest<Payment>(c, "POST", `/payments/${id(paymentId)}/capture`, { body: {} satisfies Schemas["CapturePayment"] }),
  listRefunds: (c: ApiConfig, paymentId: string) => apiRequest<Schemas["RefundList"]>(c, "GET", `/payments/${id(paymentId)}/refunds`),
  createRefund: (c: ApiConfig, paymentId: string, body: Schemas["CreateRefund"], idempotencyKey: string) =>
    apiRequest<Refund>(c, "POST", `/payments/${id(paymentId)}/refunds`, { body, idempotencyKey }),
  listEvents: (c: ApiConfig, objectId: string) =>
    apiRequest<Schemas["EventList"]>(c, "GET", `/events?${new URLSearchParams({ object_id: objectId, limit: String(EVENTS_LIMIT) })}`),
  listDeliveries: (c: ApiConfig, eventId: string) =>
    apiRequest<Schemas["WebhookDeliveryList"]>(c, "GET", `/webhooks?${new URLSearchParams({ event_id: eventId, limit: "100" })}`),
  listOrders: (c: ApiConfig, f: OrderFilter) => {
    const query = new URLSearchParams({ limit: String(f.limit), offset: String(f.offset) });
    if (f.status) query.set("status", f.status);
    if (f.receipt) query.set("receipt", f.receipt);
    return apiRequest<Schemas["OrderList"]>(c, "GET", `/orders?${query}`);
  },
  listOrderPayments: (c: ApiConfig, orderId: string) => apiRequest<Schemas["OrderPaymentList"]>(c, "GET", `/orders/${id(orderId)}/payments`),
};
