"""DELETE /webhook-endpoints/{endpoint_id}: stop sending to it; its delivery log stays readable."""

from __future__ import annotations

from shared import db
from shared.db import webhook_endpoints
from shared.http import Call, Operation, Reply
from shared.models.webhook_endpoints import DeletedWebhookEndpoint

OPERATION = Operation(
    "DELETE",
    "/webhook-endpoints/{endpoint_id}",
    "Delete a webhook endpoint (its delivery log stays readable)",
    {200: DeletedWebhookEndpoint},
)


def handle(call: Call) -> Reply:
    with db.transaction() as tx:
        webhook_endpoints.soft_delete(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
    return Reply(200, DeletedWebhookEndpoint(id=call.params["endpoint_id"], livemode=call.livemode))
