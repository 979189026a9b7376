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

from shared.config import settings
from shared.errors import UpstreamUnavailable

Cursor = psycopg2.extras.RealDictCursor


class _Pool:
    """Connections opened on demand and kept for reuse. (psycopg2's own pools close every
    connection beyond ``minconn`` when it is returned, and open ``minconn`` up front.)"""

    def __init__(self, dsn: str, max_idle: int) -> None:
        self.dsn = dsn
        self.max_idle = max_idle
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()

    def get(self) -> psycopg2.extensions.connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return psycopg2.connect(self.dsn, connect_timeout=5, application_name="payment-gateway")

    def put(self, conn: psycopg2.extensions.connection, *, discard: bool) -> None:
        if not discard and conn.closed == 0:
            with self._lock:
                if len(self._idle) < self.max_idle:
                    self._idle.append(conn)
                    return
        conn.close()


_pool: _Pool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _get_pool() -> _Pool:
    global _pool, _pool_pid
    # A pool inherited across fork() shares sockets with the parent: make a new one per process.
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                s = settings()
                _pool = _Pool(s.database_url, max_idle=s.money_concurrency + s.webhook_concurrency + 4)
                _pool_pid = os.getpid()
    return _pool


@contextmanager
def transaction() -> Iterator[Cursor]:
    """Run the block in one transaction: commit on success, roll back on any exception.

    Raises:
        UpstreamUnavailable: PostgreSQL could not be reached or dropped the connection.
    """
    with _connection(autocommit=False) as conn, conn, conn.cursor(cursor_factory=Cursor) as cur:
        yield cur


@contextmanager
def autocommit() -> Iterator[Cursor]:
    """Run each statement as its own transaction: no BEGIN or COMMIT round trips. For reads that
    need no common snapshot, and for writes that are a single statement.

    Raises:
        UpstreamUnavailable: PostgreSQL could not be reached or dropped the connection.
    """
    with _connection(autocommit=True) as conn, conn.cursor(cursor_factory=Cursor) as cur:
        yield cur


@contextmanager
def _connection(*, autocommit: bool) -> Iterator[psycopg2.extensions.connection]:
    pool = _get_pool()
    try:
        conn = pool.get()
    except psycopg2.OperationalError as exc:
        raise UpstreamUnavailable("The database is unavailable") from exc
    broken = False
    try:
        conn.autocommit = autocommit
        yield conn
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        broken = True
        raise UpstreamUnavailable("The database is unavailable") from exc
    finally:
        if not broken and conn.closed == 0:
            conn.autocommit = False
        pool.put(conn, discard=broken)
