"""The ``orders`` table. An order moves created → attempted → paid, and is paid at most once:
a payment for it is only accepted while no other payment of it is pending (``lock_for_payment``)."""

from __future__ import annotations

from typing import cast

import psycopg2.extras

from shared import ids
from shared.db import Cursor
from shared.db.rows import OrderRow
from shared.errors import NotFound
from shared.models.orders import CreateOrder, OrderStatus
from shared.models.payments import PaymentStatus

# An order by its id, or by the merchant's receipt (then the newest order with it).
_FIND = """
    SELECT * FROM orders WHERE merchant_id = %(m)s AND livemode = %(l)s AND (id = %(ref)s OR receipt = %(ref)s)
    ORDER BY (id = %(ref)s) DESC, created_at DESC, id DESC LIMIT 1
"""


def insert(tx: Cursor, merchant_id: str, livemode: bool, body: CreateOrder) -> OrderRow:
    tx.execute(
        "INSERT INTO orders (id, merchant_id, livemode, amount_minor, currency, receipt, notes) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
        (
            ids.new("order"),
            merchant_id,
            livemode,
            body.amount,
            body.currency,
            body.receipt,
            psycopg2.extras.Json(body.notes),
        ),
    )
    return cast(OrderRow, dict(tx.fetchone() or {}))


def find(tx: Cursor, ref: str, merchant_id: str, livemode: bool, *, lock: bool = False) -> OrderRow | None:
    """The order ``ref`` names (its id or a receipt) for this merchant and mode, or None."""
    tx.execute(_FIND + (" FOR UPDATE" if lock else ""), {"m": merchant_id, "l": livemode, "ref": ref})
    row = tx.fetchone()
    return cast(OrderRow, dict(row)) if row else None


def get(tx: Cursor, ref: str, merchant_id: str, livemode: bool, *, lock: bool = False) -> OrderRow:
    """Raises NotFound for an unknown id or receipt, another merchant's order and one of the other mode alike."""
    row = find(tx, ref, merchant_id, livemode, lock=lock)
    if row is None:
        raise NotFound(f"No order with id or receipt {ref[:64]!r}", field="id")
    return row


def list_page(
    tx: Cursor, merchant_id: str, livemode: bool, limit: int, offset: int, filters: dict[str, str]
) -> tuple[list[OrderRow], int]:
    where, args = "merchant_id = %s AND livemode = %s", [merchant_id, livemode]
    for column in ("status", "receipt"):
        if column in filters:
            where += f" AND {column} = %s"
            args.append(filters[column])
    tx.execute(f"SELECT count(*) AS n FROM orders WHERE {where}", args)
    total = int((tx.fetchone() or {"n": 0})["n"])
    tx.execute(
        f"SELECT * FROM orders WHERE {where} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        [*args, limit, offset],
    )
    return [cast(OrderRow, dict(r)) for r in tx.fetchall()], total


def pending_payment(tx: Cursor, order_id: str) -> str | None:
    """The id of a payment of this order still pending, if there is one."""
    tx.execute(
        "SELECT id FROM payments WHERE order_ref = %s AND status = %s LIMIT 1", (order_id, PaymentStatus.PENDING)
    )
    row = tx.fetchone()
    return str(row["id"]) if row else None


def mark_attempted(tx: Cursor, order_id: str) -> None:
    tx.execute(
        "UPDATE orders SET attempts = attempts + 1, updated_at = now(), "
        "status = CASE WHEN status = %s THEN %s ELSE status END WHERE id = %s",
        (OrderStatus.CREATED, OrderStatus.ATTEMPTED, order_id),
    )


def mark_paid(tx: Cursor, order_id: str) -> OrderRow | None:
    """Move the order to paid; None if it already was (a job that runs twice is harmless)."""
    tx.execute(
        "UPDATE orders SET status = %s, paid_at = now(), updated_at = now() WHERE id = %s AND status <> %s RETURNING *",
        (OrderStatus.PAID, order_id, OrderStatus.PAID),
    )
    row = tx.fetchone()
    return cast(OrderRow, dict(row)) if row else None
