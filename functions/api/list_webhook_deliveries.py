"""GET /webhooks: the delivery log, newest first, filterable by status, event and endpoint."""

from __future__ import annotations

from shared import db
from shared.db import webhook_deliveries
from shared.errors import InvalidRequest
from shared.http import Call, Reply
from shared.models import EVENT_TYPES, TEST_EVENT, DeliveryStatus, delivery_public


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = {k: call.query[k] for k in ("status", "event", "endpoint_id", "event_id") if call.query.get(k)}
    if "status" in filters and filters["status"] not in set(DeliveryStatus):
        raise InvalidRequest("status must be pending, success or failed", field="status")
    if "event" in filters and filters["event"] not in (*EVENT_TYPES, TEST_EVENT):
        raise InvalidRequest(f"event must be one of {', '.join((*EVENT_TYPES, TEST_EVENT))}", field="event")
    with db.autocommit() as tx:
        rows, total = webhook_deliveries.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters)
    return Reply(200, {"data": [delivery_public(r) for r in rows], "total": total, "limit": limit, "offset": offset})
