"""GET /payments/{payment_id}."""

from __future__ import annotations

from shared import db
from shared.db import payments
from shared.http import Call, Reply
from shared.models import payment_public


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        payment = payments.get(tx, call.params["payment_id"], call.merchant_id, call.livemode)
    return Reply(200, payment_public(payment))
