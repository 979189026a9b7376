"""Forward-only SQL migrations: ``migrations/NNNN_what.sql``, applied in order, each once."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every process that migrates.
_MIGRATION_LOCK_ID = 7_311_024


def ensure_database(database_url: str) -> None:
    """Create the database named in the URL if it does not exist yet."""
    params = psycopg2.extensions.parse_dsn(database_url)
    name = params.get("dbname")
    if not name:
        return
    try:
        psycopg2.connect(database_url, connect_timeout=5).close()
        return
    except psycopg2.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    admin = psycopg2.connect(**{**params, "dbname": "postgres"}, connect_timeout=5)
    try:
        admin.autocommit = True
        with admin.cursor() as cur:
            try:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log.info("db.created", extra={"database": name})
            except psycopg2.errors.DuplicateDatabase:
                pass  # another process created it first
    finally:
        admin.close()


def migrate(database_url: str) -> list[str]:
    """Apply every migration not applied yet; return the ones applied now."""
    applied: list[str] = []
    conn = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            # Several processes may start at once (API workers, pollers): one migrates, the rest wait.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK_ID,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                if path.stem in done:
                    continue
                cur.execute(path.read_text())
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
                applied.append(path.stem)
                log.info("db.migrated", extra={"version": path.stem})
    finally:
        conn.close()
    return applied
