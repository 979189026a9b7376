"""The ``payments`` table. Status changes are compare-and-set, so a job that runs twice is harmless."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

import psycopg2.extras

from shared import ids
from shared.db import Cursor
from shared.db.rows import PaymentRow
from shared.errors import NotFound
from shared.models.payments import CreatePayment, PaymentStatus
from shared.models.refunds import RefundStatus

if TYPE_CHECKING:  # shared.events stores through this package
    from shared.events import NewEvent

# The status is the enum's constant, not a parameter: callers add their own positional parameters.
_SELECT = f"""
    SELECT p.*,
           COALESCE((SELECT sum(r.amount_minor) FROM refunds r
                     WHERE r.payment_id = p.id AND r.status = '{RefundStatus.PROCESSED.value}'),
                    0)::bigint AS amount_refunded
    FROM payments p
"""


def new(merchant_id: str, livemode: bool, body: CreatePayment, network: str | None, outcome: str | None) -> PaymentRow:
    """The row a new payment will be stored as; nothing is stored yet. Its timestamps come from this
    host's clock, so the answer and the ``payment.created`` event can be built before the one
    statement that stores both (``insert``)."""
    card = body.card
    now = dt.datetime.now(dt.UTC)
    return {
        "id": ids.new("pay"),
        "merchant_id": merchant_id,
        "livemode": livemode,
        "amount_minor": body.amount,
        "currency": body.currency,
        "method": body.method,
        "order_id": body.order_id,
        "description": body.description,
        "metadata": body.metadata,
        "status": PaymentStatus.PENDING.value,
        "captured": False,
        "captured_at": None,
        "card_network": network if card else None,
        "card_last4": card.digits[-4:] if card else None,
        "card_expiry_month": card.expiry_month if card else None,
        "card_expiry_year": card.year if card else None,
        "vpa": body.vpa,
        "simulated_outcome": outcome,
        "submitted_at": None,
        "error_code": None,
        "error_description": None,
        "processing_error": None,
        "created_at": now,
        "updated_at": now,
        "order_ref": None,
        "amount_refunded": 0,
    }


def insert(tx: Cursor, payment: PaymentRow, event: NewEvent, *, order_ref: str | None = None) -> list[str] | None:
    """Store a new payment (``new``) and its event in one statement; return the ids of the endpoints
    subscribed to the event, for its deliveries.

    For no order (``order_ref`` None), if an order of the merchant answers to the payment's
    ``order_id`` (its id or receipt), nothing is stored and None says so: the caller checks and
    locks that order, then inserts again with ``order_ref``. Most payments name no order, and cost
    this one round trip.
    """
    # insert_payment_with_event (migration 0020) is planned once per connection, not on every create.
    tx.execute(
        "SELECT insert_payment_with_event("
        "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) AS endpoint_ids",
        [
            payment["id"],
            payment["merchant_id"],
            payment["livemode"],
            payment["amount_minor"],
            payment["currency"],
            payment["method"],
            payment["order_id"],
            payment["description"],
            psycopg2.extras.Json(payment["metadata"]),
            payment["status"],
            payment["card_network"],
            payment["card_last4"],
            payment["card_expiry_month"],
            payment["card_expiry_year"],
            payment["vpa"],
            payment["simulated_outcome"],
            order_ref,
            payment["created_at"],
            event.id,
            event.type,
            event.body,
            event.object_id,
        ],
    )
    row = tx.fetchone()
    endpoint_ids = row["endpoint_ids"] if row else None
    return None if endpoint_ids is None else list(endpoint_ids)


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
