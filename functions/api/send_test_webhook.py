"""POST /webhook-endpoints/{endpoint_id}/test: send a ``webhook.test`` event to that endpoint only.

It goes through the normal delivery path (signed, logged, retried), so it proves the whole chain.
"""

from __future__ import annotations

from shared import db, events, queue
from shared.db import webhook_deliveries, webhook_endpoints
from shared.errors import InvalidRequest
from shared.http import Call, Reply
from shared.models import TEST_EVENT, delivery_public


def handle(call: Call) -> Reply:
    with db.transaction() as tx:
        endpoint = webhook_endpoints.get(tx, call.params["endpoint_id"], call.merchant_id)
        if not endpoint["enabled"]:
            raise InvalidRequest("This endpoint is disabled; enable it to send it a test event")
        data = {"message": "This is a test event from the payment gateway", "endpoint_id": endpoint["id"]}
        follow_ups = events.record(tx, call.merchant_id, TEST_EVENT, data, endpoint_id=endpoint["id"])
        delivery = webhook_deliveries.get(tx, follow_ups[0].ref_id, call.merchant_id)
    queue.submit(follow_ups)
    return Reply(202, delivery_public(delivery))
