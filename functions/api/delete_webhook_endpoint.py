"""DELETE /webhook-endpoints/{endpoint_id}: stop sending to it; its delivery log stays readable."""

from __future__ import annotations

from shared import db
from shared.db import webhook_endpoints
from shared.http import Call, Reply


def handle(call: Call) -> Reply:
    with db.transaction() as tx:
        webhook_endpoints.soft_delete(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
    return Reply(
        200,
        {"id": call.params["endpoint_id"], "entity": "webhook_endpoint", "livemode": call.livemode, "deleted": True},
    )
