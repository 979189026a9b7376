"""GET /orders/{order_id}/checkout: what a checkout page may know of an order (publishable key)."""

from __future__ import annotations

from shared import db
from shared.db import orders
from shared.http import Call, Operation, Reply
from shared.models.orders import CheckoutOrder

OPERATION = Operation(
    "GET",
    "/orders/{order_id}/checkout",
    "An order's amount, currency and status, for checkout",
    {200: CheckoutOrder},
    access="publishable",
    description="All a publishable key may read of an order: what to show and charge, and whether it is paid.",
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        order = orders.get(tx, call.params["order_id"], call.merchant_id, call.livemode)
    return Reply(200, CheckoutOrder.from_row(order))
