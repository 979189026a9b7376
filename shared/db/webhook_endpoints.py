"""The ``webhook_endpoints`` table. Deleting is soft, so past deliveries keep their endpoint."""

from __future__ import annotations

from typing import Any, cast

from shared import crypto, ids
from shared.db import Cursor
from shared.db.rows import EndpointRow
from shared.errors import NotFound

# How long a rotated-out secret keeps signing next to the new one.
PREVIOUS_SECRET_GRACE = "24 hours"


def _opened(row: Any) -> EndpointRow:
    """The row with its secrets decrypted (they are encrypted at rest)."""
    out = cast(EndpointRow, dict(row or {}))
    out["secret"] = crypto.unseal(out["secret"])
    if out["previous_secret"]:
        out["previous_secret"] = crypto.unseal(out["previous_secret"])
    return out


def seal_plaintext_secrets(tx: Cursor) -> int:
    """Encrypt secrets stored before encryption at rest existed (or inserted by hand)."""
    tx.execute(
        "SELECT id, secret, previous_secret FROM webhook_endpoints WHERE secret NOT LIKE 'enc:%%' "
        "OR previous_secret NOT LIKE 'enc:%%' FOR UPDATE"
    )
    rows = tx.fetchall()
    for row in rows:
        tx.execute(
            "UPDATE webhook_endpoints SET secret = %s, previous_secret = %s WHERE id = %s",
            (
                crypto.seal(crypto.unseal(row["secret"])),
                crypto.seal(crypto.unseal(row["previous_secret"])) if row["previous_secret"] else None,
                row["id"],
            ),
        )
    return len(rows)


def insert(
    tx: Cursor,
    merchant_id: str,
    url: str,
    events: list[str] | None,
    secret: str,
    description: str | None = None,
    endpoint_id: str | None = None,
    *,
    livemode: bool = False,
) -> EndpointRow:
    """A new endpoint; it gets the events of its mode only. Test mode unless said, as for the seed's
    endpoint and fixtures, because a test endpoint cannot receive live data."""
    tx.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, events, secret, description) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
        (endpoint_id or ids.new("we"), merchant_id, livemode, url, events, crypto.seal(secret), description),
    )
    return _opened(tx.fetchone())


def get(tx: Cursor, endpoint_id: str, merchant_id: str, livemode: bool) -> EndpointRow:
    """Raises NotFound for an unknown or deleted id, another merchant's endpoint and one of the other
    mode alike."""
    tx.execute(
        "SELECT * FROM webhook_endpoints WHERE id = %s AND merchant_id = %s AND livemode = %s AND deleted_at IS NULL",
        (ids.parse(endpoint_id, "we"), merchant_id, livemode),
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id!r}", field="id")
    return _opened(row)


def count_locked(tx: Cursor, merchant_id: str, livemode: bool) -> int:
    """How many endpoints (deleted ones aside) the merchant has in this mode; until ``tx`` ends, no
    other transaction that calls this for them gets past it."""
    # Under READ COMMITTED two concurrent creates would each count 15 and each add one: the lock
    # makes the second count after the first has committed.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"webhook_endpoints:{merchant_id}:{livemode}",)
    )
    tx.execute(
        "SELECT count(*) AS n FROM webhook_endpoints WHERE merchant_id = %s AND livemode = %s AND deleted_at IS NULL",
        (merchant_id, livemode),
    )
    row = tx.fetchone()
    return int(row["n"]) if row else 0


def list_all(tx: Cursor, merchant_id: str, livemode: bool) -> list[EndpointRow]:
    tx.execute(
        "SELECT * FROM webhook_endpoints WHERE merchant_id = %s AND livemode = %s AND deleted_at IS NULL "
        "ORDER BY created_at, id",
        (merchant_id, livemode),
    )
    return [_opened(r) for r in tx.fetchall()]


# What else PATCH enabled=true/false changes. The right-hand sides read the row before the update,
# so only a change of state counts: re-sending enabled=true must not reset the failure clock of an
# endpoint that is failing right now.
_ENABLING = (
    ", consecutive_failures = CASE WHEN enabled THEN consecutive_failures ELSE 0 END"
    ", failing_since = CASE WHEN enabled THEN failing_since END"
    ", disabled_reason = NULL, disabled_at = NULL"
)
_DISABLING = (
    ", disabled_reason = CASE WHEN enabled THEN NULL ELSE disabled_reason END"
    ", disabled_at = CASE WHEN enabled THEN now() ELSE disabled_at END"
)


def update(tx: Cursor, endpoint_id: str, merchant_id: str, livemode: bool, changes: dict[str, Any]) -> EndpointRow:
    """Apply ``changes``; enabling a disabled endpoint also clears its health (a fresh start), and
    disabling one by hand records when, with no reason (the merchant knows why)."""
    allowed = {"url", "events", "enabled", "description"}
    assert set(changes) <= allowed, changes
    row = get(tx, endpoint_id, merchant_id, livemode)
    if not changes:
        return row
    assignments = ", ".join(f"{column} = %s" for column in changes)
    args: list[Any] = list(changes.values())
    if "enabled" in changes:
        assignments += _ENABLING if changes["enabled"] else _DISABLING
    tx.execute(
        f"UPDATE webhook_endpoints SET {assignments}, updated_at = now() WHERE id = %s RETURNING *",
        [*args, row["id"]],
    )
    return _opened(tx.fetchone())


def record_success(tx: Cursor, endpoint_id: str) -> None:
    """End the endpoint's run of failures, if it has one (no write otherwise: most attempts succeed)."""
    tx.execute(
        "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL "
        "WHERE id = %s AND (consecutive_failures > 0 OR failing_since IS NOT NULL)",
        (endpoint_id,),
    )


def record_failure(tx: Cursor, endpoint_id: str) -> EndpointRow | None:
    """Count one more failed attempt; the run starts now if there was none. The row stays locked
    until ``tx`` ends, so concurrent attempts to one endpoint count (and decide) one at a time."""
    tx.execute(
        "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, "
        "failing_since = COALESCE(failing_since, now()) WHERE id = %s RETURNING *",
        (endpoint_id,),
    )
    row = tx.fetchone()
    return _opened(row) if row else None


def disable_for_health(tx: Cursor, endpoint_id: str, reason: str) -> EndpointRow | None:
    """Disable the endpoint with ``reason``; None if it was already disabled or deleted, so of two
    attempts that both decide to disable it only one goes on to tell the merchant."""
    tx.execute(
        "UPDATE webhook_endpoints SET enabled = false, disabled_reason = %s, disabled_at = now(), updated_at = now() "
        "WHERE id = %s AND enabled AND deleted_at IS NULL RETURNING *",
        (reason, endpoint_id),
    )
    row = tx.fetchone()
    return _opened(row) if row else None


def soft_delete(tx: Cursor, endpoint_id: str, merchant_id: str, livemode: bool) -> None:
    row = get(tx, endpoint_id, merchant_id, livemode)
    tx.execute(
        "UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = %s",
        (row["id"],),
    )


def rotate_secret(tx: Cursor, endpoint_id: str, merchant_id: str, livemode: bool, new_secret: str) -> EndpointRow:
    row = get(tx, endpoint_id, merchant_id, livemode)
    tx.execute(
        "UPDATE webhook_endpoints SET previous_secret = secret, secret = %s, "
        f"previous_secret_expires_at = now() + interval '{PREVIOUS_SECRET_GRACE}', updated_at = now() "
        "WHERE id = %s RETURNING *",
        (crypto.seal(new_secret), row["id"]),
    )
    return _opened(tx.fetchone())
