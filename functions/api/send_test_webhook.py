"""POST /webhook-endpoints/{endpoint_id}/test: send a ``webhook.test`` event to that endpoint only.

It goes through the normal delivery path (signed, logged, retried), so it proves the whole chain.
"""

from __future__ import annotations

from shared import db, events, ids, keys, queue
from shared.db import webhook_deliveries, webhook_endpoints
from shared.errors import InvalidRequest, RateLimited
from shared.http import Call, Operation, Reply
from shared.models.events import TEST_EVENT
from shared.models.webhook_deliveries import WebhookDelivery
from shared.ratelimit import Limit, default_limiter

# Each test event is a real delivery, retried for days if the receiver fails: 10 a minute per
# endpoint is plenty for someone testing, and keeps a loop in a script from filling the queue.
TEST_EVENTS = Limit(per_s=10 / 60, burst=10)


OPERATION = Operation(
    "POST",
    "/webhook-endpoints/{endpoint_id}/test",
    "Send a `webhook.test` event to this endpoint only",
    {202: WebhookDelivery},
    refusals={400: "The endpoint is disabled", 429: "More than 10 test events a minute to this endpoint"},
)


def handle(call: Call) -> Reply:
    endpoint_id = ids.parse(call.params["endpoint_id"], "we")
    # Before the transaction, which should not wait on Redis.
    bucket = keys.endpoint_test_events_bucket(call.merchant_id, endpoint_id)
    if retry_after_s := default_limiter().take(bucket, TEST_EVENTS):
        raise RateLimited(
            f"Too many test events for this endpoint: at most {TEST_EVENTS.burst} a minute; "
            f"try again in {retry_after_s} s",
            retry_after_s=retry_after_s,
        )
    with db.transaction() as tx:
        endpoint = webhook_endpoints.get(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
        if not endpoint["enabled"]:
            raise InvalidRequest("This endpoint is disabled; enable it to send it a test event")
        data = {"message": "This is a test event from the payment gateway", "endpoint_id": endpoint["id"]}
        follow_ups = events.record(
            tx, call.merchant_id, TEST_EVENT, data, livemode=call.livemode, endpoint_id=endpoint["id"]
        )
        delivery = webhook_deliveries.get(tx, follow_ups[0].ref_id, call.merchant_id, call.livemode)
    queue.submit(follow_ups)
    return Reply(202, WebhookDelivery.from_row(delivery))
