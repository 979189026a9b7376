"""GET /webhooks/{delivery_id}: one delivery with every attempt made for it."""

from __future__ import annotations

import json

from shared import db
from shared.db import events, webhook_deliveries
from shared.http import Call, Operation, Reply
from shared.models.webhook_deliveries import WebhookDeliveryDetail

OPERATION = Operation(
    "GET",
    "/webhooks/{delivery_id}",
    "Read a delivery, with the payload sent and every attempt",
    {200: WebhookDeliveryDetail},
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        delivery = webhook_deliveries.get(tx, call.params["delivery_id"], call.merchant_id, call.livemode)
        attempts = webhook_deliveries.attempts(tx, delivery["id"])
        event = events.find(tx, delivery["event_id"])
    payload = json.loads(event["body"]) if event else None
    return Reply(200, WebhookDeliveryDetail.from_rows(delivery, payload, attempts))
