"""POST /webhook-endpoints: register a URL; the response is the only one (besides rotation) that
shows the signing secret in full."""

from __future__ import annotations

from shared import db, signing, webhooks
from shared.config import settings
from shared.db import webhook_endpoints
from shared.errors import InvalidRequest
from shared.http import Call, Reply
from shared.models import CreateWebhookEndpoint, endpoint_public

# Per merchant and mode (a key sees only its mode's endpoints, so that is what it can count).
# Every event fans out to each endpoint that wants it: this bounds the fan-out, and the list.
MAX_WEBHOOK_ENDPOINTS = 16


def handle(call: Call) -> Reply:
    body = CreateWebhookEndpoint.parse(call.json())
    url = webhooks.validate_url(body.url, settings())
    events = sorted(set(body.events)) if body.events is not None else None
    with db.transaction() as tx:
        if webhook_endpoints.count_locked(tx, call.merchant_id, call.livemode) >= MAX_WEBHOOK_ENDPOINTS:
            raise InvalidRequest(
                f"You already have {MAX_WEBHOOK_ENDPOINTS} webhook endpoints, the most allowed in each mode; "
                "delete one you no longer use (DELETE /webhook-endpoints/{id}) to add another"
            )
        row = webhook_endpoints.insert(
            tx, call.merchant_id, url, events, signing.new_secret(), body.description, livemode=call.livemode
        )
    return Reply(201, endpoint_public(row, reveal_secret=True))
