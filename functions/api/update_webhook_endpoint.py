"""PATCH /webhook-endpoints/{endpoint_id}: change url, events, enabled or description."""

from __future__ import annotations

from typing import Any

from shared import db, webhooks
from shared.config import settings
from shared.db import webhook_endpoints
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.models.webhook_endpoints import UpdateWebhookEndpoint, WebhookEndpoint

OPERATION = Operation(
    "PATCH",
    "/webhook-endpoints/{endpoint_id}",
    "Change a webhook endpoint's url, events, enabled or description",
    {200: WebhookEndpoint},
    body=UpdateWebhookEndpoint,
    refusals={400: "As for registering; or url, events or enabled sent as null"},
)


def handle(call: Call) -> Reply:
    body = UpdateWebhookEndpoint.parse(call.json())
    changes: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    if any(value is None for key, value in changes.items() if key != "description"):
        raise InvalidRequest("url, events and enabled cannot be null")
    if "url" in changes:
        changes["url"] = webhooks.validate_url(changes["url"], settings())
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    with db.transaction() as tx:
        row = webhook_endpoints.update(tx, call.params["endpoint_id"], call.merchant_id, call.livemode, changes)
    return Reply(200, WebhookEndpoint.from_row(row))
