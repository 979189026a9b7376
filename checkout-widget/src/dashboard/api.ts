/**
 * The webhook console's API calls, typed as docs/openapi.json describes them (snake_case): every
 * type and list here comes from src/generated/openapi.ts, which `npm run generate` writes.
 */

import { type ApiConfig, apiRequest } from "../api";
import { type components, eventTypeValues, pathsWebhooksGetParametersQueryEventValues } from "../generated/openapi";

type Schemas = components["schemas"];
export type EventType = Schemas["EventType"];
export type Endpoint = Schemas["WebhookEndpoint"];
export type Delivery = Schemas["WebhookDelivery"];
export type DeliveryDetail = Schemas["WebhookDeliveryDetail"];
export type Attempt = Schemas["Attempt"];

/** What an endpoint can subscribe to, in the document's order. */
export const EVENT_TYPES: readonly EventType[] = eventTypeValues;
/** What the delivery log can be filtered by: every event type, and webhook.test. */
export const DELIVERY_EVENTS: readonly Delivery["event"][] = pathsWebhooksGetParametersQueryEventValues;

export interface DeliveryFilter {
  status: string;
  event: string;
  endpointId: string;
  limit: number;
  offset: number;
}

const id = (value: string): string => encodeURIComponent(value);

export const webhooksApi = {
  listEndpoints: (c: ApiConfig) => apiRequest<Schemas["WebhookEndpointList"]>(c, "GET", "/webhook-endpoints"),
  createEndpoint: (c: ApiConfig, body: Schemas["CreateWebhookEndpoint"]) => apiRequest<Endpoint>(c, "POST", "/webhook-endpoints", { body }),
  revealEndpoint: (c: ApiConfig, endpointId: string) =>
    apiRequest<Endpoint>(c, "GET", `/webhook-endpoints/${id(endpointId)}?reveal_secret=true`),
  updateEndpoint: (c: ApiConfig, endpointId: string, body: Schemas["UpdateWebhookEndpoint"]) =>
    apiRequest<Endpoint>(c, "PATCH", `/webhook-endpoints/${id(endpointId)}`, { body }),
  deleteEndpoint: (c: ApiConfig, endpointId: string) => apiRequest<Schemas["DeletedWebhookEndpoint"]>(c, "DELETE", `/webhook-endpoints/${id(endpointId)}`),
  rotateSecret: (c: ApiConfig, endpointId: string) => apiRequest<Endpoint>(c, "POST", `/webhook-endpoints/${id(endpointId)}/rotate-secret`),
  sendTest: (c: ApiConfig, endpointId: string) => apiRequest<Delivery>(c, "POST", `/webhook-endpoints/${id(endpointId)}/test`),
  recoverDeliveries: (c: ApiConfig, endpointId: string, body: Schemas["RecoverWebhookDeliveries"]) =>
    apiRequest<Schemas["WebhookRecovery"]>(c, "POST", `/webhook-endpoints/${id(endpointId)}/recover`, { body }),
  listDeliveries: (c: ApiConfig, f: DeliveryFilter) => {
    const query = new URLSearchParams({ limit: String(f.limit), offset: String(f.offset) });
    if (f.status) query.set("status", f.status);
    if (f.event) query.set("event", f.event);
    if (f.endpointId) query.set("endpoint_id", f.endpointId);
    return apiRequest<Schemas["WebhookDeliveryList"]>(c, "GET", `/webhooks?${query}`);
  },
  getDelivery: (c: ApiConfig, deliveryId: string) => apiRequest<DeliveryDetail>(c, "GET", `/webhooks/${id(deliveryId)}`),
  retryDelivery: (c: ApiConfig, deliveryId: string) => apiRequest<Delivery>(c, "POST", `/webhooks/${id(deliveryId)}/retry`),
};
