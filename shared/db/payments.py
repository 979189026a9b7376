"""The ``payments`` table. Status changes are compare-and-set, so a job that runs twice is harmless."""

from __future__ import annotations

from typing import cast

import psycopg2.extras

from shared import ids
from shared.db import Cursor
from shared.db.rows import PaymentRow
from shared.errors import NotFound
from shared.models.payments import CreatePayment, PaymentStatus
from shared.models.refunds import RefundStatus

# The status is the enum's constant, not a parameter: callers add their own positional parameters.
_SELECT = f"""
    SELECT p.*,
           COALESCE((SELECT sum(r.amount_minor) FROM refunds r
                     WHERE r.payment_id = p.id AND r.status = '{RefundStatus.PROCESSED.value}'),
                    0)::bigint AS amount_refunded
    FROM payments p
"""


def insert(
    tx: Cursor, merchant_id: str, livemode: bool, body: CreatePayment, network: str | None, outcome: str | None
) -> PaymentRow | None:
    """Insert a payment for no order, unless an order of the merchant's answers to its ``order_id``
    (id or receipt): then nothing is inserted and None says so. One statement, so that most
    payments, which name no order, cost one round trip."""
    return _insert(tx, merchant_id, livemode, body, network, outcome, None)


def insert_for_order(
    tx: Cursor,
    merchant_id: str,
    livemode: bool,
    body: CreatePayment,
    network: str | None,
    outcome: str | None,
    order_ref: str,
) -> PaymentRow:
    """Insert a payment for the order ``order_ref`` (checked and locked by the caller)."""
    row = _insert(tx, merchant_id, livemode, body, network, outcome, order_ref)
    if row is None:
        raise RuntimeError("insert_payment returned no row for an order's payment")  # it checks no order then
    return row


def _insert(
    tx: Cursor,
    merchant_id: str,
    livemode: bool,
    body: CreatePayment,
    network: str | None,
    outcome: str | None,
    order_ref: str | None,
) -> PaymentRow | None:
    card = body.card
    # insert_payment (migration 0019) is planned once per connection, not on every create.
    tx.execute(
        "SELECT *, 0::bigint AS amount_refunded FROM insert_payment("
        "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            ids.new("pay"),
            merchant_id,
            livemode,
            body.amount,
            body.currency,
            body.method,
            body.order_id,
            body.description,
            psycopg2.extras.Json(body.metadata),
            network if card else None,
            card.digits[-4:] if card else None,
            card.expiry_month if card else None,
            card.year if card else None,
            body.vpa,
            outcome,
            order_ref,
        ],
    )
    row = tx.fetchone()
    return cast(PaymentRow, dict(row)) if row else None


def list_for_order(tx: Cursor, order_id: str) -> list[PaymentRow]:
    """Every payment made for the order, newest first."""
    tx.execute(_SELECT + " WHERE p.order_ref = %s ORDER BY p.created_at DESC, p.id DESC", (order_id,))
    return [cast(PaymentRow, dict(r)) for r in tx.fetchall()]


def find(tx: Cursor, payment_id: str) -> PaymentRow | None:
    """The payment whoever owns it, in either mode: for jobs, which act on ids they were given."""
    tx.execute(_SELECT + " WHERE p.id = %s", (payment_id,))
    row = tx.fetchone()
    return cast(PaymentRow, dict(row)) if row else None


def get(tx: Cursor, payment_id: str, merchant_id: str, livemode: bool) -> PaymentRow:
    """Raises NotFound for an unknown id, another merchant's payment and one of the other mode alike."""
    tx.execute(
        _SELECT + " WHERE p.id = %s AND p.merchant_id = %s AND p.livemode = %s",
        (ids.parse(payment_id, "pay"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No payment with id {payment_id!r}", field="id")
    return cast(PaymentRow, dict(row))


def lock(tx: Cursor, payment_id: str, merchant_id: str, livemode: bool) -> PaymentRow:
    """Lock the payment row for the rest of the transaction (refund totals are checked under it)."""
    tx.execute(
        "SELECT * FROM payments WHERE id = %s AND merchant_id = %s AND livemode = %s FOR UPDATE",
        (ids.parse(payment_id, "pay"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No payment with id {payment_id!r}", field="id")
    return cast(PaymentRow, dict(row))


def list_page(
    tx: Cursor, merchant_id: str, livemode: bool, limit: int, offset: int, filters: dict[str, str]
) -> tuple[list[PaymentRow], int]:
    where, args = "p.merchant_id = %s AND p.livemode = %s", [merchant_id, livemode]
    for column in ("status", "order_id", "method"):
        if column in filters:
            where += f" AND p.{column} = %s"
            args.append(filters[column])
    tx.execute(f"SELECT count(*) AS n FROM payments p WHERE {where}", args)
    total = int((tx.fetchone() or {"n": 0})["n"])
    tx.execute(
        _SELECT + f" WHERE {where} ORDER BY p.created_at DESC, p.id DESC LIMIT %s OFFSET %s", [*args, limit, offset]
    )
    return [cast(PaymentRow, dict(r)) for r in tx.fetchall()], total


def mark_submitted(tx: Cursor, payment_id: str) -> bool:
    """Record that the acquirer has the payment; False if that already happened or it settled."""
    tx.execute(
        "UPDATE payments SET submitted_at = now(), updated_at = now() "
        "WHERE id = %s AND status = %s AND submitted_at IS NULL",
        (payment_id, PaymentStatus.PENDING),
    )
    return tx.rowcount == 1


def settle(
    tx: Cursor, payment_id: str, status: PaymentStatus, error_code: str | None, error_description: str | None
) -> PaymentRow | None:
    """Move a pending payment to its final status and return it; None means another run got there first."""
    # Nothing can be refunded while a payment is pending, so amount_refunded is still 0.
    tx.execute(
        "UPDATE payments SET status = %s, error_code = %s, error_description = %s, processing_error = NULL, "
        "updated_at = now() "
        "WHERE id = %s AND status = %s RETURNING *, 0::bigint AS amount_refunded",
        (status, error_code, error_description, payment_id, PaymentStatus.PENDING),
    )
    row = tx.fetchone()
    return cast(PaymentRow, dict(row)) if row else None


def capture(tx: Cursor, payment_id: str, merchant_id: str, livemode: bool) -> bool:
    tx.execute(
        "UPDATE payments SET captured = true, captured_at = now(), updated_at = now() "
        "WHERE id = %s AND merchant_id = %s AND livemode = %s AND status = %s AND NOT captured",
        (payment_id, merchant_id, livemode, PaymentStatus.SUCCESS),
    )
    return tx.rowcount == 1


def stale_pending_ids(tx: Cursor, older_than_s: float, limit: int) -> list[str]:
    """Pending rows left alone for a while whose job has not given up: candidates for reconciliation."""
    tx.execute(
        "SELECT id FROM payments WHERE status = %s AND processing_error IS NULL "
        "AND updated_at < now() - make_interval(secs => %s) ORDER BY updated_at LIMIT %s",
        (PaymentStatus.PENDING, older_than_s, limit),
    )
    return [r["id"] for r in tx.fetchall()]


def set_processing_error(tx: Cursor, payment_id: str, reason: str | None) -> bool:
    """Mark a pending row as given up (or, with None, as being retried); False if it is not pending."""
    tx.execute(
        "UPDATE payments SET processing_error = %s, updated_at = now() WHERE id = %s AND status = %s",
        (reason, payment_id, PaymentStatus.PENDING),
    )
    return tx.rowcount == 1
