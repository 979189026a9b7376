"""GET /orders/{order_id}: one order, by its id or by your receipt (the newest order with it)."""

from __future__ import annotations

from shared import db
from shared.db import orders
from shared.http import Call, Operation, Reply
from shared.models.orders import Order

OPERATION = Operation("GET", "/orders/{order_id}", "Read an order (by its id or receipt)", {200: Order})


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        order = orders.get(tx, call.params["order_id"], call.merchant_id, call.livemode)
    return Reply(200, Order.from_row(order))
