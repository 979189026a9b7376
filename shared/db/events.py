"""The ``events`` table: what happened, stored once, with the exact body receivers get."""

from __future__ import annotations

from typing import cast

from shared.db import Cursor
from shared.db.rows import EventRow


def insert(tx: Cursor, event_id: str, merchant_id: str, livemode: bool, event_type: str, body: str) -> list[str]:
    """Store the event; return the ids of the endpoints of its mode subscribed to it (one round trip
    for both)."""
    tx.execute(
        """
        WITH event AS (
            INSERT INTO events (id, merchant_id, livemode, type, body)
            VALUES (%(id)s, %(merchant)s, %(livemode)s, %(type)s, %(body)s)
        )
        SELECT id FROM webhook_endpoints
        WHERE merchant_id = %(merchant)s AND livemode = %(livemode)s AND enabled AND deleted_at IS NULL
          AND (events IS NULL OR %(type)s = ANY(events))
        """,
        {"id": event_id, "merchant": merchant_id, "livemode": livemode, "type": event_type, "body": body},
    )
    return [row["id"] for row in tx.fetchall()]


def find(tx: Cursor, event_id: str) -> EventRow | None:
    tx.execute("SELECT * FROM events WHERE id = %s", (event_id,))
    row = tx.fetchone()
    return cast(EventRow, dict(row)) if row else None
