"""GET /payments/{payment_id}."""

from __future__ import annotations

from shared import db
from shared.db import payments
from shared.http import Call, Operation, Reply
from shared.models.payments import Payment

OPERATION = Operation("GET", "/payments/{payment_id}", "Read a payment", {200: Payment}, access="publishable")


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        payment = payments.get(tx, call.params["payment_id"], call.merchant_id, call.livemode)
    return Reply(200, Payment.from_row(payment))
