"""GET /refunds/{refund_id}."""

from __future__ import annotations

from shared import db
from shared.db import refunds
from shared.http import Call, Operation, Reply
from shared.models.refunds import Refund

OPERATION = Operation("GET", "/refunds/{refund_id}", "Read a refund", {200: Refund})


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        refund = refunds.get(tx, call.params["refund_id"], call.merchant_id, call.livemode)
    return Reply(200, Refund.from_row(refund))
