"""GET /payments/{payment_id}/refunds: every refund of one payment, newest first."""

from __future__ import annotations

from shared import db
from shared.db import payments, refunds
from shared.http import Call, Reply
from shared.models import refund_public


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        payment = payments.get(tx, call.params["payment_id"], call.merchant_id, call.livemode)
        rows = refunds.list_for_payment(tx, payment["id"])
    return Reply(200, {"data": [refund_public(r) for r in rows], "total": len(rows)})
