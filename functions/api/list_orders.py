"""GET /orders: newest first, ``limit``/``offset``, optional ``status`` and ``receipt``."""

from __future__ import annotations

from shared import db
from shared.db import orders
from shared.http import PAGE, Call, Operation, Query, Reply
from shared.models.orders import Order, OrderList, OrderStatus

OPERATION = Operation(
    "GET",
    "/orders",
    "List orders, newest first",
    {200: OrderList},
    query=(
        *PAGE,
        Query("status", "Only orders in this status", {"enum": list(OrderStatus)}),
        Query("receipt", "Only orders with this receipt"),
    ),
)


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = call.filters(OPERATION.query)
    with db.autocommit() as tx:
        rows, total = orders.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters)
    return Reply(200, OrderList(data=[Order.from_row(r) for r in rows], total=total, limit=limit, offset=offset))
