"""GET /webhook-endpoints: every endpoint of the merchant in the key's mode, secrets masked."""

from __future__ import annotations

from shared import db
from shared.db import webhook_endpoints
from shared.http import Call, Operation, Reply
from shared.models.webhook_endpoints import WebhookEndpoint, WebhookEndpointList

OPERATION = Operation("GET", "/webhook-endpoints", "List webhook endpoints, secrets masked", {200: WebhookEndpointList})


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        rows = webhook_endpoints.list_all(tx, call.merchant_id, call.livemode)
    return Reply(200, WebhookEndpointList(data=[WebhookEndpoint.from_row(r) for r in rows], total=len(rows)))
