"""GET /webhook-endpoints/{endpoint_id}; ``?reveal_secret=true`` shows the secret in full."""

from __future__ import annotations

from shared import db
from shared.db import webhook_endpoints
from shared.http import Call, Reply
from shared.models import endpoint_public


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        row = webhook_endpoints.get(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
    return Reply(200, endpoint_public(row, reveal_secret=call.query.get("reveal_secret") == "true"))
