/** The webhook console's API calls, typed as the gateway returns them (snake_case, as documented). */

import { type ApiConfig, apiRequest } from "../api";

export const EVENT_TYPES = [
  "payment.created",
  "payment.pending",
  "payment.success",
  "payment.failed",
  "payment.captured",
  "refund.created",
  "refund.processed",
  "refund.failed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
  /** Masked unless asked for with reveal, or just created or rotated. */
  secret: string;
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  endpoint_id: string;
  url: string | null;
  event: string;
  event_id: string;
  status: "pending" | "success" | "failed";
  attempts: number;
  last_attempt_at: string | null;
  next_retry_at: string | null;
  response_code: number | null;
  duration_ms: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Attempt {
  number: number;
  trigger: string;
  attempted_at: string;
  response_code: number | null;
  duration_ms: number | null;
  response_body: string | null;
  error: string | null;
}

export interface DeliveryDetail extends Delivery {
  payload: unknown;
  attempt_log: Attempt[];
}

export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface DeliveryFilter {
  status: string;
  event: string;
  endpointId: string;
  limit: number;
  offset: number;
}

const id = (value: string): string => encodeURIComponent(value);

export const webhooksApi = {
  listEndpoints: (c: ApiConfig) => apiRequest<{ data: Endpoint[]; total: number }>(c, "GET", "/webhook-endpoints"),
  createEndpoint: (c: ApiConfig, body: { url: string; events: string[]; description?: string }) =>
    apiRequest<Endpoint>(c, "POST", "/webhook-endpoints", { body }),
  revealEndpoint: (c: ApiConfig, endpointId: string) =>
    apiRequest<Endpoint>(c, "GET", `/webhook-endpoints/${id(endpointId)}?reveal_secret=true`),
  updateEndpoint: (c: ApiConfig, endpointId: string, body: { enabled?: boolean }) =>
    apiRequest<Endpoint>(c, "PATCH", `/webhook-endpoints/${id(endpointId)}`, { body }),
  deleteEndpoint: (c: ApiConfig, endpointId: string) => apiRequest<unknown>(c, "DELETE", `/webhook-endpoints/${id(endpointId)}`),
  rotateSecret: (c: ApiConfig, endpointId: string) => apiRequest<Endpoint>(c, "POST", `/webhook-endpoints/${id(endpointId)}/rotate-secret`),
  sendTest: (c: ApiConfig, endpointId: string) => apiRequest<Delivery>(c, "POST", `/webhook-endpoints/${id(endpointId)}/test`),
  listDeliveries: (c: ApiConfig, f: DeliveryFilter) => {
    const query = new URLSearchParams({ limit: String(f.limit), offset: String(f.offset) });
    if (f.status) query.set("status", f.status);
    if (f.event) query.set("event", f.event);
    if (f.endpointId) query.set("endpoint_id", f.endpointId);
    return apiRequest<Page<Delivery>>(c, "GET", `/webhooks?${query}`);
  },
  getDelivery: (c: ApiConfig, deliveryId: string) => apiRequest<DeliveryDetail>(c, "GET", `/webhooks/${id(deliveryId)}`),
  retryDelivery: (c: ApiConfig, deliveryId: string) => apiRequest<Delivery>(c, "POST", `/webhooks/${id(deliveryId)}/retry`),
};
