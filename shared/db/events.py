"""The ``events`` table: what happened, stored once, with the exact body receivers get."""

from __future__ import annotations

import datetime as dt
from typing import cast

from shared import ids
from shared.db import Cursor
from shared.db.rows import EventRow
from shared.errors import NotFound


def insert(
    tx: Cursor, event_id: str, merchant_id: str, livemode: bool, event_type: str, body: str, object_id: str | None
) -> list[str]:
    """Store the event; return the ids of the endpoints of its mode subscribed to it (one round trip
    for both, through ``insert_event``, migration 0019, which is planned once per connection)."""
    tx.execute(
        "SELECT insert_event AS id FROM insert_event(%s, %s, %s, %s, %s, %s)",
        (event_id, merchant_id, livemode, event_type, body, object_id),
    )
    return [row["id"] for row in tx.fetchall()]


def find(tx: Cursor, event_id: str) -> EventRow | None:
    tx.execute("SELECT * FROM events WHERE id = %s", (event_id,))
    row = tx.fetchone()
    return cast(EventRow, dict(row)) if row else None


def get(tx: Cursor, event_id: str, merchant_id: str, livemode: bool) -> EventRow:
    """Raises NotFound for an unknown id, another merchant's event and one of the other mode alike."""
    tx.execute(
        "SELECT * FROM events WHERE id = %s AND merchant_id = %s AND livemode = %s",
        (ids.parse(event_id, "evt"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No event with id {event_id!r}", field="id")
    return cast(EventRow, dict(row))


def list_page(
    tx: Cursor,
    merchant_id: str,
    livemode: bool,
    limit: int,
    offset: int,
    filters: dict[str, str],
    created: tuple[dt.datetime | None, dt.datetime | None],
) -> tuple[list[EventRow], int]:
    """A page of the merchant's events in one mode, newest first, and how many match in all.
    ``created`` bounds ``created_at`` (both ends included)."""
    where, args = "merchant_id = %s AND livemode = %s", [merchant_id, livemode]
    for param, column in (("type", "type"), ("object_id", "object_id")):
        if param in filters:
            where += f" AND {column} = %s"
            args.append(filters[param])
    for bound, op in zip(created, (">=", "<="), strict=True):
        if bound is not None:
            where += f" AND created_at {op} %s"
            args.append(bound)
    tx.execute(f"SELECT count(*) AS n FROM events WHERE {where}", args)
    total = int((tx.fetchone() or {"n": 0})["n"])
    tx.execute(
        f"SELECT * FROM events WHERE {where} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        [*args, limit, offset],
    )
    return [cast(EventRow, dict(r)) for r in tx.fetchall()], total


def purgeable_ids(tx: Cursor, retention_days: int, limit: int) -> list[str]:
    """The oldest events past the retention window with no delivery pending, locked for deletion
    (events another purge holds are skipped)."""
    tx.execute(
        """
        SELECT id FROM events e
        WHERE created_at < now() - make_interval(days => %s)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
        ORDER BY created_at LIMIT %s
        FOR UPDATE SKIP LOCKED
        """,
        (retention_days, limit),
    )
    return [r["id"] for r in tx.fetchall()]


def delete(tx: Cursor, event_ids: list[str], delivery_ids: list[str]) -> tuple[int, int, int]:
    """Delete the events with their deliveries and those deliveries' attempts, in one statement;
    return how many events, deliveries and attempts went."""
    tx.execute(
        """
        WITH attempts AS (
            DELETE FROM webhook_attempts WHERE delivery_id = ANY(%(deliveries)s) RETURNING 1
        ), deliveries AS (
            DELETE FROM webhook_deliveries WHERE id = ANY(%(deliveries)s) RETURNING 1
        ), gone AS (
            DELETE FROM events WHERE id = ANY(%(events)s) RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone) AS events, (SELECT count(*) FROM deliveries) AS deliveries,
               (SELECT count(*) FROM attempts) AS attempts
        """,
        {"events": event_ids, "deliveries": delivery_ids},
    )
    row = tx.fetchone() or {"events": 0, "deliveries": 0, "attempts": 0}
    return int(row["events"]), int(row["deliveries"]), int(row["attempts"])
