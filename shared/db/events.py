"""The ``events`` table: what happened, stored once, with the exact body receivers get."""

from __future__ import annotations

from typing import Any

from shared.db import Cursor

Row = dict[str, Any]


def insert(tx: Cursor, event_id: str, merchant_id: str, event_type: str, body: str) -> None:
    tx.execute(
        "INSERT INTO events (id, merchant_id, type, body) VALUES (%s, %s, %s, %s)",
        (event_id, merchant_id, event_type, body),
    )


def find(tx: Cursor, event_id: str) -> Row | None:
    tx.execute("SELECT * FROM events WHERE id = %s", (event_id,))
    row = tx.fetchone()
    return dict(row) if row else None
