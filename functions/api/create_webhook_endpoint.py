"""POST /webhook-endpoints: register a URL; the response is the only one (besides rotation) that
shows the signing secret in full."""

from __future__ import annotations

from shared import db, signing, webhooks
from shared.config import settings
from shared.db import webhook_endpoints
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.models.webhook_endpoints import CreateWebhookEndpoint, WebhookEndpoint

# Per merchant and mode (a key sees only its mode's endpoints, so that is what it can count).
# Every event fans out to each endpoint that wants it: this bounds the fan-out, and the list.
MAX_WEBHOOK_ENDPOINTS = 16


OPERATION = Operation(
    "POST",
    "/webhook-endpoints",
    "Register a webhook endpoint",
    {201: WebhookEndpoint},
    body=CreateWebhookEndpoint,
    refusals={400: "The URL is not http(s), does not resolve, or is a private address; or the mode has 16 endpoints"},
    description="The answer carries the signing secret in full; later reads mask it.",
)


def handle(call: Call) -> Reply:
    body = CreateWebhookEndpoint.parse(call.json())
    url = webhooks.validate_url(body.url, settings())
    events = sorted({e.value for e in body.events}) if body.events is not None else None
    with db.transaction() as tx:
        if webhook_endpoints.count_locked(tx, call.merchant_id, call.livemode) >= MAX_WEBHOOK_ENDPOINTS:
            raise InvalidRequest(
                f"You already have {MAX_WEBHOOK_ENDPOINTS} webhook endpoints, the most allowed in each mode; "
                "delete one you no longer use (DELETE /webhook-endpoints/{id}) to add another"
            )
        row = webhook_endpoints.insert(
            tx, call.merchant_id, url, events, signing.new_secret(), body.description, livemode=call.livemode
        )
    return Reply(201, WebhookEndpoint.from_row(row, reveal_secret=True))
