"""GET /orders/{order_id}/payments: every payment made for the order, newest first."""

from __future__ import annotations

from shared import db
from shared.db import orders, payments
from shared.http import Call, Operation, Reply
from shared.models.orders import OrderPaymentList
from shared.models.payments import Payment

OPERATION = Operation(
    "GET", "/orders/{order_id}/payments", "List an order's payments, newest first", {200: OrderPaymentList}
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        order = orders.get(tx, call.params["order_id"], call.merchant_id, call.livemode)
        rows = payments.list_for_order(tx, order["id"])
    return Reply(200, OrderPaymentList(data=[Payment.from_row(r) for r in rows], total=len(rows)))
