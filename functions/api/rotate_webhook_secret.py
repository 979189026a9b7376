"""POST /webhook-endpoints/{endpoint_id}/rotate-secret: a new secret, shown once in full.

The old secret keeps signing (as a second ``webhook-signature``) for 24 hours, so receivers can
switch over without rejecting deliveries.
"""

from __future__ import annotations

from shared import db, signing
from shared.db import webhook_endpoints
from shared.http import Call, Operation, Reply
from shared.models.webhook_endpoints import WebhookEndpoint

OPERATION = Operation(
    "POST",
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    "Rotate the signing secret (both sign for 24 hours)",
    {200: WebhookEndpoint},
)


def handle(call: Call) -> Reply:
    with db.transaction() as tx:
        row = webhook_endpoints.rotate_secret(
            tx, call.params["endpoint_id"], call.merchant_id, call.livemode, signing.new_secret()
        )
    return Reply(200, WebhookEndpoint.from_row(row, reveal_secret=True))
