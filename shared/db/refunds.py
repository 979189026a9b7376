"""The ``refunds`` table."""

from __future__ import annotations

from typing import cast

from shared import ids
from shared.db import Cursor
from shared.db.rows import PaymentRow, RefundRow
from shared.errors import NotFound
from shared.models.refunds import RefundStatus


def committed_total(tx: Cursor, payment_id: str) -> int:
    """Sum of refunds that are pending or processed: money already promised back.

    Only meaningful while the payment row is locked, or two requests could both see room.
    """
    tx.execute(
        "SELECT COALESCE(sum(amount_minor), 0)::bigint AS total FROM refunds WHERE payment_id = %s AND status <> %s",
        (payment_id, RefundStatus.FAILED),
    )
    return int((tx.fetchone() or {"total": 0})["total"])


def insert(tx: Cursor, payment: PaymentRow, amount: int, reason: str | None) -> RefundRow:
    """A refund of ``payment``, in its merchant and mode."""
    tx.execute(
        "INSERT INTO refunds (id, payment_id, merchant_id, livemode, amount_minor, currency, reason) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
        (
            ids.new("rfnd"),
            payment["id"],
            payment["merchant_id"],
            payment["livemode"],
            amount,
            payment["currency"],
            reason,
        ),
    )
    return cast(RefundRow, dict(tx.fetchone() or {}))


def get(tx: Cursor, refund_id: str, merchant_id: str, livemode: bool) -> RefundRow:
    """Raises NotFound for an unknown id, another merchant's refund and one of the other mode alike."""
    tx.execute(
        "SELECT * FROM refunds WHERE id = %s AND merchant_id = %s AND livemode = %s",
        (ids.parse(refund_id, "rfnd"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No refund with id {refund_id!r}", field="id")
    return cast(RefundRow, dict(row))


def list_for_payment(tx: Cursor, payment_id: str) -> list[RefundRow]:
    tx.execute("SELECT * FROM refunds WHERE payment_id = %s ORDER BY created_at DESC, id DESC", (payment_id,))
    return [cast(RefundRow, dict(r)) for r in tx.fetchall()]


def settle(tx: Cursor, refund_id: str, processed: bool, error_code: str | None = None) -> RefundRow | None:
    """Move a pending refund to processed or failed; None means another run got there first."""
    tx.execute(
        "UPDATE refunds SET status = %s, error_code = %s, processing_error = NULL, updated_at = now(), "
        "processed_at = CASE WHEN %s THEN now() END "
        "WHERE id = %s AND status = %s RETURNING *",
        (
            RefundStatus.PROCESSED if processed else RefundStatus.FAILED,
            error_code,
            processed,
            refund_id,
            RefundStatus.PENDING,
        ),
    )
    row = tx.fetchone()
    return cast(RefundRow, dict(row)) if row else None


def stale_pending_ids(tx: Cursor, older_than_s: float, limit: int) -> list[str]:
    """Pending rows left alone for a while whose job has not given up: candidates for reconciliation."""
    tx.execute(
        "SELECT id FROM refunds WHERE status = %s AND processing_error IS NULL "
        "AND updated_at < now() - make_interval(secs => %s) ORDER BY updated_at LIMIT %s",
        (RefundStatus.PENDING, older_than_s, limit),
    )
    return [r["id"] for r in tx.fetchall()]


def set_processing_error(tx: Cursor, refund_id: str, reason: str | None) -> bool:
    """Mark a pending row as given up (or, with None, as being retried); False if it is not pending."""
    tx.execute(
        "UPDATE refunds SET processing_error = %s, updated_at = now() WHERE id = %s AND status = %s",
        (reason, refund_id, RefundStatus.PENDING),
    )
    return tx.rowcount == 1
