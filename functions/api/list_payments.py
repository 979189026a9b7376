"""GET /payments: newest first, ``limit``/``offset``, optional ``status``, ``order_id``, ``method``."""

from __future__ import annotations

from shared import db
from shared.db import payments
from shared.http import PAGE, Call, Operation, Query, Reply
from shared.models.payments import Payment, PaymentList, PaymentMethod, PaymentStatus

OPERATION = Operation(
    "GET",
    "/payments",
    "List payments, newest first",
    {200: PaymentList},
    query=(
        *PAGE,
        Query("status", "Only payments in this status", {"enum": list(PaymentStatus)}),
        Query("order_id", "Only payments for this order"),
        Query("method", "Only payments by this method", {"enum": list(PaymentMethod)}),
    ),
)


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = call.filters(OPERATION.query)
    with db.autocommit() as tx:
        rows, total = payments.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters)
    data = [Payment.from_row(r) for r in rows]
    return Reply(200, PaymentList(data=data, total=total, limit=limit, offset=offset))
