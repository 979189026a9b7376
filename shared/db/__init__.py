"""PostgreSQL access: a per-process connection pool and explicit transactions.

Each table module in this package takes the cursor as its first argument, so the caller owns the
transaction and nothing commits behind its back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from shared.config import settings
from shared.errors import UpstreamUnavailable

Cursor = psycopg2.extras.RealDictCursor

_pool: psycopg2.pool.ThreadedConnectionPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _get_pool() -> psycopg2.pool.ThreadedConnectionPool:
    global _pool, _pool_pid
    # A pool inherited across fork() shares sockets with the parent: make a new one per process.
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                s = settings()
                _pool = psycopg2.pool.ThreadedConnectionPool(
                    0,
                    s.poller_concurrency + 4,
                    s.database_url,
                    connect_timeout=5,
                    application_name="payment-gateway",
                )
                _pool_pid = os.getpid()
    return _pool


@contextmanager
def transaction() -> Iterator[Cursor]:
    """Run the block in one transaction: commit on success, roll back on any exception.

    Raises:
        UpstreamUnavailable: PostgreSQL could not be reached or dropped the connection.
    """
    try:
        pool = _get_pool()
        conn = pool.getconn()
    except psycopg2.OperationalError as exc:
        raise UpstreamUnavailable("The database is unavailable") from exc
    broken = False
    try:
        with conn, conn.cursor(cursor_factory=Cursor) as cur:
            yield cur
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        broken = True
        raise UpstreamUnavailable("The database is unavailable") from exc
    finally:
        pool.putconn(conn, close=broken or conn.closed != 0)


def close_pool() -> None:
    global _pool
    if _pool is not None and _pool_pid == os.getpid():
        _pool.closeall()
    _pool = None
