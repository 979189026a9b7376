"""The ``merchants`` table. A merchant's API keys are in ``api_keys``."""

from __future__ import annotations

from shared.db import Cursor


def insert(tx: Cursor, merchant_id: str, name: str) -> None:
    tx.execute("INSERT INTO merchants (id, name) VALUES (%s, %s)", (merchant_id, name))


def exists(tx: Cursor, merchant_id: str) -> bool:
    tx.execute("SELECT 1 FROM merchants WHERE id = %s", (merchant_id,))
    return tx.fetchone() is not None
