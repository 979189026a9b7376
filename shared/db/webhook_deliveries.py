"""The ``webhook_deliveries`` and ``webhook_attempts`` tables: one delivery per (event, endpoint),
one attempt row per HTTP request made for it."""

from __future__ import annotations

import datetime as dt
from typing import cast

import psycopg2.extras

from shared import crypto, ids
from shared.db import Cursor
from shared.db.rows import AttemptRow, DeliveryRow, SendingRow
from shared.errors import NotFound
from shared.models.webhook_deliveries import AttemptTrigger, DeliveryStatus

_SELECT = "SELECT d.*, e.url FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"


def insert_many(tx: Cursor, merchant_id: str, event_id: str, event_type: str, endpoint_ids: list[str]) -> list[str]:
    """One delivery of the event per endpoint, in the event's mode. An endpoint of the other mode
    violates the deliveries' foreign keys, so an event can never be sent across modes."""
    if not endpoint_ids:
        return []
    rows = [(ids.new("whd"), merchant_id, event_id, endpoint_id, event_type, event_id) for endpoint_id in endpoint_ids]
    psycopg2.extras.execute_values(
        tx,
        "INSERT INTO webhook_deliveries (id, merchant_id, event_id, endpoint_id, event_type, livemode, next_retry_at) "
        "VALUES %s",
        rows,
        template="(%s, %s, %s, %s, %s, (SELECT livemode FROM events WHERE id = %s), now())",
    )
    return [row[0] for row in rows]


def get(tx: Cursor, delivery_id: str, merchant_id: str, livemode: bool) -> DeliveryRow:
    """Raises NotFound for an unknown id, another merchant's delivery and one of the other mode alike."""
    tx.execute(
        _SELECT + " WHERE d.id = %s AND d.merchant_id = %s AND d.livemode = %s",
        (ids.parse(delivery_id, "whd"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No webhook delivery with id {delivery_id!r}", field="id")
    return cast(DeliveryRow, dict(row))


def list_page(
    tx: Cursor, merchant_id: str, livemode: bool, limit: int, offset: int, filters: dict[str, str]
) -> tuple[list[DeliveryRow], int]:
    where, args = "d.merchant_id = %s AND d.livemode = %s", [merchant_id, livemode]
    for param, column in (
        ("status", "d.status"),
        ("event", "d.event_type"),
        ("endpoint_id", "d.endpoint_id"),
        ("event_id", "d.event_id"),
    ):
        if param in filters:
            where += f" AND {column} = %s"
            args.append(filters[param])
    tx.execute(f"SELECT count(*) AS n FROM webhook_deliveries d WHERE {where}", args)
    total = int((tx.fetchone() or {"n": 0})["n"])
    tx.execute(
        _SELECT + f" WHERE {where} ORDER BY d.created_at DESC, d.id DESC LIMIT %s OFFSET %s", [*args, limit, offset]
    )
    return [cast(DeliveryRow, dict(r)) for r in tx.fetchall()], total


def attempts(tx: Cursor, delivery_id: str) -> list[AttemptRow]:
    tx.execute("SELECT * FROM webhook_attempts WHERE delivery_id = %s ORDER BY number", (delivery_id,))
    return [cast(AttemptRow, dict(r)) for r in tx.fetchall()]


def find_for_sending(tx: Cursor, delivery_id: str) -> SendingRow | None:
    """The delivery with everything an attempt needs: event body, endpoint URL and secrets."""
    tx.execute(
        """
        SELECT d.*, ev.body, e.url, e.enabled, e.deleted_at, e.secret,
               (e.consecutive_failures > 0 OR e.failing_since IS NOT NULL) AS endpoint_failing,
               CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret
        FROM webhook_deliveries d
        JOIN events ev ON ev.id = d.event_id
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.id = %s
        """,
        (delivery_id,),
    )
    row = tx.fetchone()
    if row is None:
        return None
    found = cast(SendingRow, dict(row))
    found["secret"] = crypto.unseal(found["secret"])
    if found["previous_secret"]:
        found["previous_secret"] = crypto.unseal(found["previous_secret"])
    return found


def record_attempt(
    tx: Cursor,
    delivery_id: str,
    generation: int,
    *,
    trigger: str,
    attempted_at: dt.datetime,
    response_code: int | None,
    duration_ms: int,
    response_body: str | None,
    error: str | None,
    status: str,
    next_retry_at: dt.datetime | None,
) -> DeliveryRow | None:
    """Store one attempt and settle the delivery, read at ``generation``.

    If a manual retry arrived while this attempt was in flight (the generation moved on), the
    attempt is still recorded but the delivery stays pending and due now, so the retry happens.
    """
    tx.execute(
        """
        WITH attempt AS (
            INSERT INTO webhook_attempts (delivery_id, number, trigger, attempted_at, response_code, duration_ms,
                                          response_body, error)
            SELECT id, attempts + 1, %(trigger)s, %(attempted_at)s, %(code)s, %(duration)s, %(body)s, %(error)s
            FROM webhook_deliveries WHERE id = %(id)s
        )
        UPDATE webhook_deliveries SET
            attempts = attempts + 1,
            scheduled_attempts = scheduled_attempts + CASE WHEN %(trigger)s = %(scheduled)s THEN 1 ELSE 0 END,
            last_attempt_at = %(attempted_at)s,
            response_code = %(code)s,
            last_duration_ms = %(duration)s,
            last_error = %(error)s,
            status = CASE WHEN generation = %(generation)s THEN %(status)s ELSE %(pending)s END,
            next_retry_at = CASE WHEN generation = %(generation)s THEN %(next)s ELSE now() END,
            manual_requested = CASE WHEN generation = %(generation)s THEN false ELSE manual_requested END,
            updated_at = now()
        WHERE id = %(id)s AND status = %(pending)s
        RETURNING *
        """,
        {
            "id": delivery_id,
            "trigger": trigger,
            "attempted_at": attempted_at,
            "code": response_code,
            "duration": duration_ms,
            "body": response_body,
            "error": error,
            "generation": generation,
            "status": status,
            "next": next_retry_at,
            "scheduled": AttemptTrigger.SCHEDULED,
            "pending": DeliveryStatus.PENDING,
        },
    )
    row = tx.fetchone()
    return cast(DeliveryRow, dict(row)) if row else None


def fail_unsendable(tx: Cursor, delivery_id: str, generation: int | None, reason: str) -> None:
    """Settle a delivery that cannot be attempted (its endpoint was disabled or deleted, or its job
    gave up); with a ``generation``, only if no manual retry was asked for since it was read."""
    tx.execute(
        "UPDATE webhook_deliveries SET status = %s, last_error = %s, next_retry_at = NULL, "
        "manual_requested = false, updated_at = now() "
        "WHERE id = %s AND status = %s AND (%s::int IS NULL OR generation = %s)",
        (DeliveryStatus.FAILED, reason, delivery_id, DeliveryStatus.PENDING, generation, generation),
    )


def fail_pending_of_endpoint(tx: Cursor, endpoint_id: str, reason: str) -> int:
    """Settle every pending delivery of an endpoint that was just disabled, so none sits pending until
    its next attempt (up to a day away) only to be failed then; ``recover`` brings them back."""
    tx.execute(
        "UPDATE webhook_deliveries SET status = %s, last_error = %s, next_retry_at = NULL, "
        "manual_requested = false, updated_at = now() WHERE endpoint_id = %s AND status = %s",
        (DeliveryStatus.FAILED, reason, endpoint_id, DeliveryStatus.PENDING),
    )
    return int(tx.rowcount)


def recover(tx: Cursor, endpoint_id: str, since: dt.datetime, limit: int) -> tuple[list[str], bool]:
    """Make at most ``limit`` failed deliveries of the endpoint created since ``since`` due now, as
    manual attempts, oldest first; return their ids and whether more are left."""
    # SKIP LOCKED: a delivery whose attempt is being recorded right now is not failed yet anyway.
    tx.execute(
        """
        UPDATE webhook_deliveries SET status = %(pending)s, next_retry_at = now(), generation = generation + 1,
            manual_requested = true, updated_at = now()
        WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE endpoint_id = %(endpoint)s AND status = %(failed)s AND created_at >= %(since)s
            ORDER BY created_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
        )
        RETURNING id
        """,
        {
            "pending": DeliveryStatus.PENDING,
            "failed": DeliveryStatus.FAILED,
            "endpoint": endpoint_id,
            "since": since,
            "limit": limit,
        },
    )
    requeued = [r["id"] for r in tx.fetchall()]
    tx.execute(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = %s AND status = %s AND created_at >= %s) "
        "AS more",
        (endpoint_id, DeliveryStatus.FAILED, since),
    )
    row = tx.fetchone()
    return requeued, bool(row and row["more"])


def request_retry(tx: Cursor, delivery_id: str, merchant_id: str, livemode: bool) -> DeliveryRow:
    """Make the delivery due now, as a manual attempt, whatever its state.

    Raises:
        NotFound: no such delivery for this merchant in this mode.
    """
    tx.execute(
        "UPDATE webhook_deliveries SET status = %s, next_retry_at = now(), generation = generation + 1, "
        "manual_requested = true, updated_at = now() WHERE id = %s AND merchant_id = %s AND livemode = %s "
        "RETURNING id",
        (DeliveryStatus.PENDING, ids.parse(delivery_id, "whd"), merchant_id, livemode),
    )
    if tx.fetchone() is None:
        raise NotFound(f"No webhook delivery with id {delivery_id!r}", field="id")
    return get(tx, delivery_id, merchant_id, livemode)


def overdue_ids(tx: Cursor, older_than_s: float, limit: int) -> list[str]:
    tx.execute(
        "SELECT id FROM webhook_deliveries WHERE status = %s "
        "AND next_retry_at < now() - make_interval(secs => %s) ORDER BY next_retry_at LIMIT %s",
        (DeliveryStatus.PENDING, older_than_s, limit),
    )
    return [r["id"] for r in tx.fetchall()]


def lock_for_events(tx: Cursor, event_ids: list[str]) -> list[tuple[str, str, str]]:
    """(id, event_id, status) of the events' deliveries, locked, so a manual retry cannot make one
    pending between reading its status and deleting it (it waits, then finds nothing)."""
    tx.execute(
        "SELECT id, event_id, status FROM webhook_deliveries WHERE event_id = ANY(%s) ORDER BY id FOR UPDATE",
        (event_ids,),
    )
    return [(r["id"], r["event_id"], r["status"]) for r in tx.fetchall()]


def clear_old_response_bodies(tx: Cursor, retention_days: int, limit: int) -> int:
    """Forget what receivers answered to the oldest attempts past the retention window; return how many."""
    tx.execute(
        "UPDATE webhook_attempts SET response_body = NULL WHERE id IN (SELECT id FROM webhook_attempts "
        "WHERE response_body IS NOT NULL AND attempted_at < now() - make_interval(days => %s) "
        "ORDER BY attempted_at LIMIT %s FOR UPDATE SKIP LOCKED)",
        (retention_days, limit),
    )
    return tx.rowcount
