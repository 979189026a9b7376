"""POST /webhooks/{delivery_id}/retry: send the event to the endpoint again now, whatever its state."""

from __future__ import annotations

from shared import db, queue
from shared.db import webhook_deliveries
from shared.http import Call, Operation, Reply
from shared.job_types import DELIVER_WEBHOOK
from shared.models.webhook_deliveries import WebhookDelivery
from shared.queue import FollowUp

OPERATION = Operation(
    "POST",
    "/webhooks/{delivery_id}/retry",
    "Send a delivery again now, whatever its state",
    {202: WebhookDelivery},
)


def handle(call: Call) -> Reply:
    with db.transaction() as tx:
        delivery = webhook_deliveries.request_retry(tx, call.params["delivery_id"], call.merchant_id, call.livemode)
    queue.submit([FollowUp(DELIVER_WEBHOOK, delivery["id"])])
    return Reply(202, WebhookDelivery.from_row(delivery))
