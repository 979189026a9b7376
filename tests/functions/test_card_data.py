"""No value derived from a card number or CVV is kept anywhere: PostgreSQL, Redis or the logs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from shared.config import settings
from tests.conftest import API_KEY, ROOT, free_port, stop_process, wait_until

CARDS: list[dict[str, Any]] = [
    {"number": "4111111111111111", "expiry_month": 12, "expiry_year": 2035, "cvv": "739", "name": "Asha Rao"},
    {"number": "5555555555554444", "expiry_month": 7, "expiry_year": 2031, "cvv": "482", "name": "Ravi Iyer"},
    {"number": "378282246310005", "expiry_month": 1, "expiry_year": 2030, "cvv": "6157", "name": "Mei Lin"},
]


@pytest.fixture
def logged_stack(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An API server and a poller of their own, every log line (DEBUG) written to one file."""
    log_path = tmp_path / "gateway.log"
    port = free_port()
    env = {**os.environ, "PORT": str(port), "LOG_LEVEL": "DEBUG"}
    with log_path.open("ab") as log:
        procs = [
            subprocess.Popen([sys.executable, "-m", "infra.local", role], cwd=ROOT, env=env, stdout=log, stderr=log)
            for role in ("api", "poller")
        ]
    base = f"http://127.0.0.1:{port}/api/v1"

    def up() -> bool:
        try:
            return bool(requests.get(f"{base}/test/jobs/status", timeout=2).json()["workers"] > 0)
        except (requests.RequestException, ValueError):
            return False

    try:
        wait_until(up, timeout_s=60)
        yield base, log_path
    finally:
        for proc in procs:
            stop_process(proc)


def _digests(text: str) -> set[str]:
    data = text.encode()
    return {hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()}


def _canonical_forms(method: str, path: str, body: dict[str, Any], raw: str) -> list[str]:
    """Every way of writing the request that a fingerprint might plausibly be computed over."""
    compact = {"sort_keys": True, "separators": (",", ":")}
    return [
        raw,
        json.dumps(body),
        json.dumps(body, **compact),  # type: ignore[arg-type]
        json.dumps([method, path, body], **compact),  # type: ignore[arg-type]
        json.dumps([method, path, {"params": {}, "body": body}], **compact),  # type: ignore[arg-type]
        json.dumps(body["card"], **compact),  # type: ignore[arg-type]
        body["card"]["number"],
        body["card"]["number"] + body["card"]["cvv"],
    ]


def test_card_payments_with_idempotency_keys_leave_no_card_derived_value(
    logged_stack: tuple[str, Path], redis_client: redis.Redis
) -> None:
    base, log_path = logged_stack
    forbidden: set[str] = set()
    for i, card in enumerate(CARDS):
        body = {"amount": 1000 + i, "currency": "INR", "method": "card", "order_id": f"o{i}", "card": card}
        raw = json.dumps(body)
        headers = {"X-Api-Key": API_KEY, "Idempotency-Key": f"card-data-{i}", "Content-Type": "application/json"}
        first = requests.post(f"{base}/payments", data=raw, headers=headers, timeout=10)
        assert first.status_code == 201, first.text
        # Replays and mismatches work without any unkeyed digest of the card.
        replay = requests.post(f"{base}/payments", data=raw, headers=headers, timeout=10)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.text == first.text
        other = json.dumps({**body, "card": {**card, "cvv": "000" if len(card["cvv"]) == 3 else "0000"}})
        assert requests.post(f"{base}/payments", data=other, headers=headers, timeout=10).status_code == 422
        forbidden |= {card["number"], f'"{card["cvv"]}"'}
        for form in _canonical_forms("POST", "/api/v1/payments", body, raw):
            forbidden |= _digests(form)

    def settled() -> bool:
        answer = requests.get(f"{base}/payments", headers={"X-Api-Key": API_KEY}, timeout=10).json()
        return all(p["status"] != "pending" for p in answer["data"])

    wait_until(settled, timeout_s=20)

    dump = subprocess.run(
        ["pg_dump", "--data-only", settings().database_url], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    stored = [dump, log_path.read_text(errors="replace")]
    for key in redis_client.scan_iter():
        kind = redis_client.type(key)
        stored.append(key.decode())
        if kind == b"string":
            stored.append(str(redis_client.get(key)))
        elif kind == b"hash":
            stored.append(str(redis_client.hgetall(key)))
        elif kind == b"list":
            stored.append(str(redis_client.lrange(key, 0, -1)))
        elif kind == b"zset":
            stored.append(str(redis_client.zrange(key, 0, -1)))
        elif kind == b"set":
            stored.append(str(redis_client.smembers(key)))
    everything = "\n".join(stored)
    assert "card-data-0" in everything  # the idempotency rows are there to search
    found = sorted(value for value in forbidden if value in everything)
    assert found == []
