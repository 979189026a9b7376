"""POST /orders: fix the amount and currency a checkout will charge, before the shopper pays."""

from __future__ import annotations

from shared import idempotency
from shared.db import Cursor, orders
from shared.http import Call, Operation, Reply
from shared.models.orders import CreateOrder, Order
from shared.queue import FollowUp

OPERATION = Operation(
    "POST",
    "/orders",
    "Create an order",
    {201: Order},
    body=CreateOrder,
    idempotent=True,
    description=(
        "Open checkout with its id (or its receipt): the checkout shows and charges exactly this amount, "
        "and the order is paid at most once."
    ),
)


def handle(call: Call) -> Reply:
    raw = call.json()
    body = CreateOrder.parse(raw)

    def work(tx: Cursor) -> tuple[Reply, list[FollowUp]]:
        return Reply(201, Order.from_row(orders.insert(tx, call.merchant_id, call.livemode, body))), []

    return idempotency.once(call, raw, work)
