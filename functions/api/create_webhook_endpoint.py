"""POST /webhook-endpoints: register a URL; the response is the only one (besides rotation) that
shows the signing secret in full."""

from __future__ import annotations

from shared import db, signing, webhooks
from shared.config import settings
from shared.db import webhook_endpoints
from shared.http import Call, Reply
from shared.models import CreateWebhookEndpoint, endpoint_public


def handle(call: Call) -> Reply:
    body = CreateWebhookEndpoint.parse(call.json())
    url = webhooks.validate_url(body.url, settings())
    events = sorted(set(body.events)) if body.events is not None else None
    with db.transaction() as tx:
        row = webhook_endpoints.insert(tx, call.merchant_id, url, events, signing.new_secret(), body.description)
    return Reply(201, endpoint_public(row, reveal_secret=True))
