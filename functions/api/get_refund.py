"""GET /refunds/{refund_id}."""

from __future__ import annotations

from shared import db
from shared.db import refunds
from shared.http import Call, Reply
from shared.models import refund_public


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        refund = refunds.get(tx, call.params["refund_id"], call.merchant_id, call.livemode)
    return Reply(200, refund_public(refund))
