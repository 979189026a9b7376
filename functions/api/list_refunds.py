"""GET /payments/{payment_id}/refunds: every refund of one payment, newest first."""

from __future__ import annotations

from shared import db
from shared.db import payments, refunds
from shared.http import Call, Operation, Reply
from shared.models.refunds import Refund, RefundList

OPERATION = Operation(
    "GET", "/payments/{payment_id}/refunds", "List a payment's refunds, newest first", {200: RefundList}
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        payment = payments.get(tx, call.params["payment_id"], call.merchant_id, call.livemode)
        rows = refunds.list_for_payment(tx, payment["id"])
    return Reply(200, RefundList(data=[Refund.from_row(r) for r in rows], total=len(rows)))
