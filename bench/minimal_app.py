"""The minimal create endpoint the gateway's ``POST /payments`` is measured against (issue 12).

A plain WSGI app, run by ``bench.runner`` on gunicorn with the gateway's worker count (default sync
workers) and driven by the same load generator: parse the JSON body, check the API key (HMAC under
the gateway's secret, looked up in ``api_keys`` as the gateway does), then one transaction inserting
the payment and its ``payment.created`` event, one Redis LPUSH, and a 201 with the payment as JSON.
Nothing else: no rate limit, no idempotency, no strict validation, no access log. Its tables live
beside the gateway's in the benchmark database only (``bench_minimal_*``), created by ``ensure_tables``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Any

import psycopg2
import psycopg2.extensions
import redis

DDL = """
CREATE TABLE IF NOT EXISTS bench_minimal_payments (
    id text PRIMARY KEY, merchant_id text NOT NULL, amount_minor bigint NOT NULL, currency char(3) NOT NULL,
    method text NOT NULL, order_id text, status text NOT NULL, card_last4 text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench_minimal_events (
    id text PRIMARY KEY, merchant_id text NOT NULL, type text NOT NULL, data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""
TABLES = "bench_minimal_events, bench_minimal_payments"
QUEUE_KEY = "bench:minimal:jobs"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def ensure_tables(dsn: str) -> None:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(DDL)
            cur.execute(f"TRUNCATE {TABLES}")
    finally:
        conn.close()


class _State:
    """Per worker process (gunicorn forks before the first request): one connection of each kind."""

    def __init__(self) -> None:
        self.pid = 0
        self.conn: psycopg2.extensions.connection | None = None
        self.redis: redis.Redis | None = None

    def get(self) -> tuple[psycopg2.extensions.connection, redis.Redis]:
        if self.pid != os.getpid() or self.conn is None or self.redis is None or self.conn.closed:
            self.conn = psycopg2.connect(os.environ["DATABASE_URL"])
            self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
            self.pid = os.getpid()
        return self.conn, self.redis


_state = _State()
# The gateway's key-hashing secret, handed over by the runner (it reads it the way the gateway does).
_SECRET = os.environ.get("BENCH_MINIMAL_SECRET", "").encode()


def _answer(start_response: StartResponse, status: str, doc: object) -> Iterable[bytes]:
    body = json.dumps(doc).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/api/v1/payments":
        return _answer(start_response, "404 Not Found", {"error": "not found"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        body = json.loads(environ["wsgi.input"].read(length))
        amount, currency, method = int(body["amount"]), str(body["currency"]), str(body["method"])
    except (ValueError, KeyError, TypeError):
        return _answer(start_response, "400 Bad Request", {"error": "invalid body"})
    api_key = environ.get("HTTP_X_API_KEY", "")
    key_hash = hmac.new(_SECRET, api_key.encode(), hashlib.sha256).hexdigest()
    conn, queue = _state.get()
    payment_id = "pay_" + secrets.token_hex(10)
    card = body.get("card") or {}
    payment = {
        "id": payment_id,
        "amount": amount,
        "currency": currency,
        "method": method,
        "order_id": body.get("order_id"),
        "status": "pending",
        "card_last4": str(card.get("number", ""))[-4:] or None,
    }
    with conn, conn.cursor() as cur:
        cur.execute("SELECT merchant_id FROM api_keys WHERE key_hash = %s", (key_hash,))
        row = cur.fetchone()
        if row is None:
            return _answer(start_response, "401 Unauthorized", {"error": "invalid API key"})
        merchant_id = row[0]
        cur.execute(
            "INSERT INTO bench_minimal_payments (id, merchant_id, amount_minor, currency, method, order_id, status, "
            "card_last4) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING created_at",
            (payment_id, merchant_id, amount, currency, method, payment["order_id"], "pending", payment["card_last4"]),
        )
        payment["created_at"] = cur.fetchone()[0].isoformat()  # type: ignore[index]
        cur.execute(
            "INSERT INTO bench_minimal_events (id, merchant_id, type, data) VALUES (%s, %s, %s, %s)",
            ("evt_" + secrets.token_hex(10), merchant_id, "payment.created", json.dumps({"payment": payment})),
        )
    queue.lpush(QUEUE_KEY, payment_id)
    return _answer(start_response, "201 Created", payment)
