"""GET /webhooks: the delivery log, newest first, filterable by status, event and endpoint."""

from __future__ import annotations

from shared import db
from shared.db import webhook_deliveries
from shared.http import PAGE, Call, Operation, Query, Reply
from shared.models.events import DELIVERED_EVENTS
from shared.models.webhook_deliveries import DeliveryStatus, WebhookDelivery, WebhookDeliveryList

OPERATION = Operation(
    "GET",
    "/webhooks",
    "The webhook delivery log, newest first",
    {200: WebhookDeliveryList},
    query=(
        *PAGE,
        Query("status", "Only deliveries in this status", {"enum": list(DeliveryStatus)}),
        Query("event", "Only deliveries of this event type", {"enum": list(DELIVERED_EVENTS)}),
        Query("endpoint_id", "Only deliveries to this endpoint"),
        Query("event_id", "Only deliveries of this event"),
    ),
)


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = call.filters(OPERATION.query)
    with db.autocommit() as tx:
        rows, total = webhook_deliveries.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters)
    data = [WebhookDelivery.from_row(r) for r in rows]
    return Reply(200, WebhookDeliveryList(data=data, total=total, limit=limit, offset=offset))
