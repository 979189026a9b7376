"""The ``webhook_endpoints`` table. Deleting is soft, so past deliveries keep their endpoint."""

from __future__ import annotations

from typing import Any

from shared import ids
from shared.db import Cursor
from shared.errors import NotFound

Row = dict[str, Any]
# How long a rotated-out secret keeps signing next to the new one.
PREVIOUS_SECRET_GRACE = "24 hours"


def insert(
    tx: Cursor,
    merchant_id: str,
    url: str,
    events: list[str] | None,
    secret: str,
    description: str | None = None,
    endpoint_id: str | None = None,
) -> Row:
    tx.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret, description) "
        "VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
        (endpoint_id or ids.new("we"), merchant_id, url, events, secret, description),
    )
    return dict(tx.fetchone() or {})


def get(tx: Cursor, endpoint_id: str, merchant_id: str) -> Row:
    tx.execute(
        "SELECT * FROM webhook_endpoints WHERE id = %s AND merchant_id = %s AND deleted_at IS NULL",
        (ids.parse(endpoint_id, "we"), merchant_id),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id!r}", field="id")
    return dict(row)


def find_any(tx: Cursor, endpoint_id: str) -> Row | None:
    """The endpoint even if deleted: deliveries need to know why they cannot go out."""
    tx.execute("SELECT * FROM webhook_endpoints WHERE id = %s", (endpoint_id,))
    row = tx.fetchone()
    return dict(row) if row else None


def list_all(tx: Cursor, merchant_id: str) -> list[Row]:
    tx.execute(
        "SELECT * FROM webhook_endpoints WHERE merchant_id = %s AND deleted_at IS NULL ORDER BY created_at, id",
        (merchant_id,),
    )
    return [dict(r) for r in tx.fetchall()]


def subscribed(tx: Cursor, merchant_id: str, event_type: str) -> list[Row]:
    tx.execute(
        "SELECT id FROM webhook_endpoints WHERE merchant_id = %s AND enabled AND deleted_at IS NULL "
        "AND (events IS NULL OR %s = ANY(events))",
        (merchant_id, event_type),
    )
    return [dict(r) for r in tx.fetchall()]


def update(tx: Cursor, endpoint_id: str, merchant_id: str, changes: dict[str, Any]) -> Row:
    allowed = {"url", "events", "enabled", "description"}
    assert set(changes) <= allowed, changes
    row = get(tx, endpoint_id, merchant_id)
    if not changes:
        return row
    assignments = ", ".join(f"{column} = %s" for column in changes)
    tx.execute(
        f"UPDATE webhook_endpoints SET {assignments}, updated_at = now() WHERE id = %s RETURNING *",
        [*changes.values(), row["id"]],
    )
    return dict(tx.fetchone() or {})


def soft_delete(tx: Cursor, endpoint_id: str, merchant_id: str) -> None:
    row = get(tx, endpoint_id, merchant_id)
    tx.execute(
        "UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = %s",
        (row["id"],),
    )


def rotate_secret(tx: Cursor, endpoint_id: str, merchant_id: str, new_secret: str) -> Row:
    row = get(tx, endpoint_id, merchant_id)
    tx.execute(
        "UPDATE webhook_endpoints SET previous_secret = secret, secret = %s, "
        f"previous_secret_expires_at = now() + interval '{PREVIOUS_SECRET_GRACE}', updated_at = now() "
        "WHERE id = %s RETURNING *",
        (new_secret, row["id"]),
    )
    return dict(tx.fetchone() or {})
