"""GET /webhook-endpoints/{endpoint_id}; ``?reveal_secret=true`` shows the secret in full."""

from __future__ import annotations

from shared import db
from shared.db import webhook_endpoints
from shared.http import Call, Operation, Query, Reply
from shared.models.webhook_endpoints import WebhookEndpoint

OPERATION = Operation(
    "GET",
    "/webhook-endpoints/{endpoint_id}",
    "Read a webhook endpoint",
    {200: WebhookEndpoint},
    query=(Query("reveal_secret", "`true` shows the signing secret in full", {"enum": ["true", "false"]}),),
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        row = webhook_endpoints.get(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
    reveal = call.filters(OPERATION.query).get("reveal_secret") == "true"
    return Reply(200, WebhookEndpoint.from_row(row, reveal_secret=reveal))
