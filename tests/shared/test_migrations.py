"""Migrations 0011–0014 on a database written before modes existed: keys move, rows become test mode."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest
from psycopg2 import sql

from shared import auth
from shared.config import settings
from shared.db import migrations

BEFORE_MODES = "0010_forget_unkeyed_request_hashes"


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database migrated up to the last migration before modes, then left to the test."""
    params = psycopg2.extensions.parse_dsn(settings().database_url)
    name = f"{params['dbname']}_before_modes_{os.getpid()}"
    url = psycopg2.extensions.make_dsn(**{**params, "dbname": name})
    old_dir = tmp_path / "migrations"
    old_dir.mkdir()
    for path in sorted(migrations.MIGRATIONS_DIR.glob("*.sql")):
        if path.stem <= BEFORE_MODES:
            shutil.copy(path, old_dir)
    _drop(params, name)
    migrations.ensure_database(url)
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS_DIR", old_dir)
        migrations.migrate(url)
    yield url
    _drop(params, name)


def _drop(params: dict[str, str], name: str) -> None:
    admin = psycopg2.connect(psycopg2.extensions.make_dsn(**{**params, "dbname": "postgres"}), connect_timeout=5)
    try:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def test_existing_keys_become_test_keys_and_existing_rows_test_mode(old_database: str) -> None:
    conn = psycopg2.connect(old_database)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO merchants (id, name, api_key_hash, publishable_key_hash) VALUES "
                "('mch_a', 'A', %s, %s), ('mch_b', 'B', %s, NULL)",
                (auth.hash_api_key("key_test_a"), auth.hash_api_key("pk_test_a"), auth.hash_api_key("key_test_b")),
            )
            cur.execute(
                "INSERT INTO payments (id, merchant_id, amount_minor, currency, method, order_id) "
                "VALUES ('pay_a', 'mch_a', 100, 'INR', 'card', 'o1')"
            )
            cur.execute(
                "INSERT INTO refunds (id, payment_id, merchant_id, amount_minor, currency) "
                "VALUES ('rfnd_a', 'pay_a', 'mch_a', 10, 'INR')"
            )
            cur.execute(
                "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_a', 'mch_a', 'u', 's')"
            )
            cur.execute("INSERT INTO events (id, merchant_id, type, body) VALUES ('evt_a', 'mch_a', 't', '{}')")
            cur.execute(
                "INSERT INTO webhook_deliveries (id, merchant_id, event_id, endpoint_id, event_type) "
                "VALUES ('whd_a', 'mch_a', 'evt_a', 'we_a', 't')"
            )
            cur.execute(
                "INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, response) "
                "VALUES ('mch_a', 'k', 'h', 201, '{}')"
            )

        applied = migrations.migrate(old_database)

        assert applied[0] == "0011_create_api_keys" and len(applied) >= 4
        with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute("SELECT key_hash, merchant_id, kind, livemode FROM api_keys ORDER BY merchant_id, kind")
            assert [dict(r) for r in cur.fetchall()] == [
                {
                    "key_hash": auth.hash_api_key("pk_test_a"),
                    "merchant_id": "mch_a",
                    "kind": "publishable",
                    "livemode": False,
                },
                {
                    "key_hash": auth.hash_api_key("key_test_a"),
                    "merchant_id": "mch_a",
                    "kind": "secret",
                    "livemode": False,
                },
                {
                    "key_hash": auth.hash_api_key("key_test_b"),
                    "merchant_id": "mch_b",
                    "kind": "secret",
                    "livemode": False,
                },
            ]
            cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'merchants'")
            assert {r["column_name"] for r in cur.fetchall()} == {"id", "name", "created_at"}
            for table in (
                "payments",
                "refunds",
                "webhook_endpoints",
                "events",
                "webhook_deliveries",
                "idempotency_keys",
            ):
                cur.execute(
                    sql.SQL("SELECT bool_or(livemode) AS any_live, count(*) AS n FROM {}").format(sql.Identifier(table))
                )
                assert dict(cur.fetchone() or {}) == {"any_live": False, "n": 1}, table
    finally:
        conn.close()
