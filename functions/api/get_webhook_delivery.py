"""GET /webhooks/{delivery_id}: one delivery with every attempt made for it."""

from __future__ import annotations

import json

from shared import db
from shared.db import events, webhook_deliveries
from shared.http import Call, Reply
from shared.models import attempt_public, delivery_public


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        delivery = webhook_deliveries.get(tx, call.params["delivery_id"], call.merchant_id, call.livemode)
        attempts = webhook_deliveries.attempts(tx, delivery["id"])
        event = events.find(tx, delivery["event_id"])
    return Reply(
        200,
        {
            **delivery_public(delivery),
            "payload": json.loads(event["body"]) if event else None,
            "attempt_log": [attempt_public(a) for a in attempts],
        },
    )
