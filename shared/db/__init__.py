"""PostgreSQL access: a per-process connection pool and explicit transactions.

Each table module in this package takes the cursor as its first argument, so the caller owns the
transaction and nothing commits behind its back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from shared.config import settings
from shared.errors import UpstreamUnavailable


class Cursor(psycopg2.extensions.cursor):
    """Rows as dicts, column name → value, each built in one step (psycopg2's RealDictCursor makes
    a Python call per column, 31 a create: issue 12)."""

    def fetchone(self) -> dict[str, Any] | None:  # type: ignore[override]
        row = super().fetchone()
        return None if row is None else dict(zip(self._names(), row, strict=True))

    def fetchall(self) -> list[dict[str, Any]]:  # type: ignore[override]
        names = self._names()
        return [dict(zip(names, row, strict=True)) for row in super().fetchall()]

    def fetchmany(self, size: int | None = None) -> list[dict[str, Any]]:  # type: ignore[override]
        names = self._names()
        rows = super().fetchmany(self.arraysize if size is None else size)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def __next__(self) -> dict[str, Any]:  # type: ignore[override]
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def _names(self) -> list[str]:
        return [column.name for column in self.description or ()]


class _TransactionCursor(Cursor):
    """Opens the transaction with its first statement: ``BEGIN; <statement>`` in one round trip,
    where psycopg2 would send BEGIN alone first (issue 12: one round trip fewer per transaction)."""

    began = False

    def execute(self, query: str | bytes, vars: Any = None) -> None:  # type: ignore[override]
        if not self.began:
            self.began = True
            query = b"BEGIN; " + query if isinstance(query, bytes) else "BEGIN; " + query
        super().execute(query, vars)


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
        conn = psycopg2.connect(self.dsn, connect_timeout=5, application_name="payment-gateway")
        # Every statement commits on its own unless ``transaction`` has sent BEGIN.
        conn.autocommit = True
        return conn

    def put(self, conn: psycopg2.extensions.connection, *, discard: bool) -> None:
        # One still in a transaction (a COMMIT that never came back, say) would lend it to the next user.
        idle = conn.closed == 0 and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        if not discard and idle:
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
    with _connection() as conn, conn.cursor(cursor_factory=_TransactionCursor) as cur:
        try:
            yield cur
        except BaseException:
            if conn.closed == 0 and conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                _roll_back(conn)
            raise
        if cur.began:
            cur.execute("COMMIT")


def _roll_back(conn: psycopg2.extensions.connection) -> None:
    """Roll back, or close the connection if even that fails (the pool never keeps it then)."""
    try:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK")
    except psycopg2.Error:
        conn.close()


@contextmanager
def autocommit() -> Iterator[Cursor]:
    """Run each statement as its own transaction: no BEGIN or COMMIT round trips. For reads that
    need no common snapshot, and for writes that are a single statement.

    Raises:
        UpstreamUnavailable: PostgreSQL could not be reached or dropped the connection.
    """
    with _connection() as conn, conn.cursor(cursor_factory=Cursor) as cur:
        yield cur


@contextmanager
def _connection() -> Iterator[psycopg2.extensions.connection]:
    pool = _get_pool()
    try:
        conn = pool.get()
    except psycopg2.OperationalError as exc:
        raise UpstreamUnavailable("The database is unavailable") from exc
    broken = False
    try:
        yield conn
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        broken = True
        raise UpstreamUnavailable("The database is unavailable") from exc
    finally:
        pool.put(conn, discard=broken)
