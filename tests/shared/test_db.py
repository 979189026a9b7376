"""Transactions and rows against the real PostgreSQL: BEGIN rides with the first statement, a
failure rolls back, and the pool never lends out a connection still inside a transaction."""

from __future__ import annotations

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest

from shared import db
from shared.config import settings


def _merchant_names() -> list[str]:
    with db.autocommit() as tx:
        tx.execute("SELECT name FROM merchants WHERE id LIKE 'mch_db_%' ORDER BY id")
        return [str(row["name"]) for row in tx.fetchall()]


def test_statements_in_a_transaction_share_it_and_commit_together() -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO merchants (id, name) VALUES ('mch_db_1', 'One') RETURNING id, name")
        assert tx.fetchone() == {"id": "mch_db_1", "name": "One"}
        tx.execute("SELECT txid_current() AS txid")
        first = tx.fetchone()
        tx.execute("SELECT txid_current() AS txid")
        assert tx.fetchone() == first
        # Not visible outside until commit.
        assert _merchant_names() == []
    assert _merchant_names() == ["One"]


def test_rows_are_plain_dicts_from_every_fetch() -> None:
    with db.autocommit() as tx:
        tx.execute("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y' ORDER BY a")
        rows = tx.fetchall()
        tx.execute("SELECT 3 AS a UNION ALL SELECT 4")
        some = tx.fetchmany(1)
        iterated = list(tx)
        tx.execute("SELECT 1 AS a WHERE false")
        none = tx.fetchone()
    assert rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}] and type(rows[0]) is dict
    assert some == [{"a": 3}] and iterated == [{"a": 4}] and none is None


def test_an_exception_rolls_back_everything_and_the_connection_serves_the_next_transaction() -> None:
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("INSERT INTO merchants (id, name) VALUES ('mch_db_1', 'One')")
        raise RuntimeError("the handler failed")
    with pytest.raises(psycopg2.errors.UniqueViolation), db.transaction() as tx:
        # The failing statement is the first: it went with BEGIN, which still has to be rolled back.
        tx.execute("INSERT INTO merchants (id, name) VALUES ('mch_other', 'Clash')")
    with db.transaction() as tx:
        tx.execute("INSERT INTO merchants (id, name) VALUES ('mch_db_2', 'Two')")
    assert _merchant_names() == ["Two"]


def test_a_transaction_with_no_statement_sends_nothing() -> None:
    with db.transaction():
        pass
    assert _merchant_names() == []


def test_the_pool_closes_a_connection_left_inside_a_transaction() -> None:
    pool = db._Pool(settings().database_url, max_idle=4)
    conn = pool.get()
    with conn.cursor() as cur:
        cur.execute("BEGIN; SELECT 1")
    assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
    pool.put(conn, discard=False)
    assert conn.closed
    fresh = pool.get()
    assert fresh is not conn and fresh.autocommit
    pool.put(fresh, discard=False)
    assert pool.get() is fresh
    fresh.close()
