"""``Idempotency-Key`` for POST requests, per merchant and mode, kept 24 hours.

Inside the request's own transaction: take a transaction-scoped advisory lock on the key (a
second request with the key while the first is running gets 409 at once instead of waiting),
replay a stored response, or run and store the new one. The stored row commits together with
the object it created, so a crash can never leave one without the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from shared import db, queue
from shared.db import Cursor
from shared.errors import IdempotencyInProgress, IdempotencyMismatch, InvalidRequest
from shared.http import Call, Reply
from shared.models.base import dumps
from shared.queue import FollowUp
from shared.secrets import gateway_secrets

MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters", field="Idempotency-Key"
        )
    return key


def fingerprint(method: str, path: str, body: object, secret_key: str | None = None) -> str:
    """A keyed digest of the request, to tell a replay from a different request.

    Keyed (HMAC under the gateway's secret key), because a card payment's body holds the card
    number and CVV: an unkeyed hash of it, stored beside the last four digits, would give them
    back to anyone who can read the table and guess a few thousand candidates.
    """
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    key = b"idempotency:" + (secret_key or gateway_secrets().secret_key).encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def replay(tx: Cursor, merchant_id: str, livemode: bool, key: str, request_fingerprint: str) -> tuple[int, str] | None:
    """The stored (status, body) for this key in this mode, or None if the request should run.

    Raises:
        IdempotencyInProgress: another request with this key is running now.
        IdempotencyMismatch: the key was used with a different request.
    """
    mode = "live" if livemode else "test"
    tx.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS locked", (f"{merchant_id}:{mode}:{key}",))
    locked = tx.fetchone()
    if not (locked and locked["locked"]):
        raise IdempotencyInProgress(
            "A request with this Idempotency-Key is still being processed; retry shortly", field="Idempotency-Key"
        )
    tx.execute(
        "SELECT request_hash, status_code, response FROM idempotency_keys "
        "WHERE merchant_id = %s AND livemode = %s AND key = %s AND created_at > now() - interval '24 hours'",
        (merchant_id, livemode, key),
    )
    row = tx.fetchone()
    if row is None:
        return None
    if row["request_hash"] != request_fingerprint:
        raise IdempotencyMismatch(
            "This Idempotency-Key was already used with a different request", field="Idempotency-Key"
        )
    return int(row["status_code"]), str(row["response"])


def remember(
    tx: Cursor, merchant_id: str, livemode: bool, key: str, request_fingerprint: str, status: int, body: str
) -> None:
    # An expired row for the same key is replaced rather than conflicting.
    tx.execute(
        """
        INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, status_code, response)
        VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (merchant_id, livemode, key) DO UPDATE SET
            request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code,
            response = EXCLUDED.response, created_at = now()
        """,
        (merchant_id, livemode, key, request_fingerprint, status, body),
    )


def purge_expired(tx: Cursor, limit: int = 1000) -> int:
    tx.execute(
        "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
        "WHERE created_at < now() - interval '24 hours' LIMIT %s)",
        (limit,),
    )
    return tx.rowcount


def once(call: Call, body: object, work: Callable[[Cursor], tuple[Reply, list[FollowUp]]]) -> Reply:
    """Run ``work`` in a transaction at most once per Idempotency-Key, then queue its follow-ups.

    Follow-ups are queued only after commit, so a job never sees a row that might still roll back.
    """
    key = check_key(call.header("Idempotency-Key"))
    request_fingerprint = ""
    if key is not None:
        request_fingerprint = fingerprint(call.method, call.path, {"params": dict(call.params), "body": body})
    with db.transaction() as tx:
        if key is not None and (prior := replay(tx, call.merchant_id, call.livemode, key, request_fingerprint)):
            return Reply(prior[0], prior[1], {REPLAY_HEADER: "true"})
        reply, follow_ups = work(tx)
        text = reply.body if isinstance(reply.body, str) else dumps(reply.body)
        if key is not None:
            remember(tx, call.merchant_id, call.livemode, key, request_fingerprint, reply.status, text)
    queue.submit(follow_ups)
    return Reply(reply.status, text, reply.headers)
