"""The ``api_keys`` table: the HMAC of each key, with its merchant, kind and mode."""

from __future__ import annotations

from typing import cast

from shared.db import Cursor
from shared.db.rows import ApiKeyRow


def insert(tx: Cursor, key_hash: str, merchant_id: str, kind: str, livemode: bool) -> None:
    tx.execute(
        "INSERT INTO api_keys (key_hash, merchant_id, kind, livemode) VALUES (%s, %s, %s, %s)",
        (key_hash, merchant_id, kind, livemode),
    )


def find(tx: Cursor, key_hash: str) -> ApiKeyRow | None:
    tx.execute("SELECT merchant_id, kind, livemode FROM api_keys WHERE key_hash = %s", (key_hash,))
    row = tx.fetchone()
    return cast(ApiKeyRow, dict(row)) if row else None
