"""Rate limits over real HTTP: a server of its own with low limits (so no other test is near them),
and the webhook endpoint limits on the shared test server."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from functions.api.create_webhook_endpoint import MAX_WEBHOOK_ENDPOINTS
from functions.api.send_test_webhook import TEST_EVENTS
from shared import db, seed, signing
from shared.db import webhook_endpoints
from tests.conftest import OTHER_API_KEY, Api, Receiver, payment_body, running_api, scalar

SECRET_PER_S, SECRET_BURST = 1, 5
PUBLISHABLE_PER_S, PUBLISHABLE_BURST = 1, 3
LIMITS = {
    "RATE_LIMIT_SECRET_PER_S": str(SECRET_PER_S),
    "RATE_LIMIT_SECRET_BURST": str(SECRET_BURST),
    "RATE_LIMIT_PUBLISHABLE_PER_S": str(PUBLISHABLE_PER_S),
    "RATE_LIMIT_PUBLISHABLE_BURST": str(PUBLISHABLE_BURST),
}
# Two client addresses on one machine: all of 127.0.0.0/8 is loopback on Linux.
HOME, NEIGHBOUR, THIRD = "127.0.0.1", "127.0.0.2", "127.0.0.3"


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased
    body: Any


@dataclass(frozen=True)
class Server:
    port: int

    def send(
        self, method: str, path: str, key: str | None = None, *, source: str = HOME, body: object = None
    ) -> Answer:
        """One request on a new connection from ``source``, the client address the server sees."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if key is not None:
            headers["X-Api-Key"] = key
        try:
            conn.request(method, "/api/v1" + path, body=None if body is None else json.dumps(body), headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return Answer(
                response.status,
                response.reason,
                {k.lower(): v for k, v in response.getheaders()},
                json.loads(raw or "null"),
            )
        finally:
            conn.close()

    def burst(self, count: int, method: str, path: str, key: str | None = None, **kwargs: Any) -> list[Answer]:
        """``count`` requests back to back, and a check that the bucket let through no more than it
        held plus what it refilled meanwhile."""
        started = time.monotonic()
        answers = [self.send(method, path, key, **kwargs) for _ in range(count)]
        through = sum(1 for a in answers if a.status != 429)
        publishable = not key or key.startswith("pk_")
        burst, per_s = (PUBLISHABLE_BURST, PUBLISHABLE_PER_S) if publishable else (SECRET_BURST, SECRET_PER_S)
        assert through <= burst + int((time.monotonic() - started) * per_s) + 1
        return answers


@pytest.fixture(scope="module")
def limited(database: None) -> Iterator[Server]:
    """The API with low limits, on its own port (the shared server's limits are generous)."""
    with running_api(**LIMITS) as base:
        yield Server(int(urllib.parse.urlsplit(base).port or 0))


def _statuses(answers: list[Answer]) -> list[int]:
    return [a.status for a in answers]


# ---- per key, per address -------------------------------------------------------------------------


def test_a_burst_past_a_secret_keys_limit_gets_429_with_retry_after_and_our_error(limited: Server) -> None:
    answers = limited.burst(SECRET_BURST + 3, "GET", "/payments", seed.API_KEY)

    assert _statuses(answers)[:SECRET_BURST] == [200] * SECRET_BURST
    refused = answers[-1]
    assert (refused.status, refused.reason) == (429, "Too Many Requests")
    assert refused.body == {
        "error": {"code": "RATE_LIMIT_ERROR", "description": refused.body["error"]["description"], "field": None}
    }
    assert "try again in" in refused.body["error"]["description"]
    assert refused.headers["retry-after"].isdigit() and 1 <= int(refused.headers["retry-after"]) <= 1 / SECRET_PER_S
    assert refused.headers["x-request-id"].startswith("req_")
    # A checkout page's script can read when to retry.
    assert "Retry-After" in refused.headers["access-control-expose-headers"].split(",")


def test_another_key_is_unaffected(limited: Server) -> None:
    assert 429 in _statuses(limited.burst(SECRET_BURST + 3, "GET", "/payments", seed.API_KEY))

    assert limited.send("GET", "/payments", OTHER_API_KEY).status == 200


def test_a_publishable_key_is_limited_per_client_address_so_card_testing_is_slowed(limited: Server) -> None:
    cards = limited.burst(PUBLISHABLE_BURST + 3, "POST", "/payments", seed.PUBLISHABLE_KEY, body=payment_body())

    assert _statuses(cards)[:PUBLISHABLE_BURST] == [201] * PUBLISHABLE_BURST
    assert cards[-1].status == 429
    # A refused request made nothing.
    assert scalar("SELECT count(*) AS n FROM payments") == sum(1 for a in cards if a.status == 201)
    # Another shopper on the same shop's page is not held up by the first one.
    elsewhere = limited.send("POST", "/payments", seed.PUBLISHABLE_KEY, source=NEIGHBOUR, body=payment_body())
    assert elsewhere.status == 201, elsewhere.body


def test_wrong_keys_are_limited_too(limited: Server) -> None:
    guessed = limited.burst(SECRET_BURST + 3, "GET", "/payments", "key_test_guessed", source=HOME)
    missing = limited.burst(PUBLISHABLE_BURST + 3, "GET", "/payments", source=NEIGHBOUR)

    # One wrong key from one address: its failures run out first (the publishable rate, per address).
    assert _statuses(guessed)[:PUBLISHABLE_BURST] == [401] * PUBLISHABLE_BURST and guessed[-1].status == 429
    assert _statuses(missing)[:PUBLISHABLE_BURST] == [401] * PUBLISHABLE_BURST and missing[-1].status == 429
    assert limited.send("GET", "/payments", seed.API_KEY, source=THIRD).status == 200


def test_a_new_made_up_key_per_request_is_limited_per_client_address(limited: Server) -> None:
    # Each made-up key has a fresh bucket of its own; the address's failures do not.
    answers = [limited.send("GET", "/payments", f"key_test_made_up_{i}") for i in range(PUBLISHABLE_BURST + 3)]

    assert _statuses(answers)[:PUBLISHABLE_BURST] == [401] * PUBLISHABLE_BURST and answers[-1].status == 429
    assert answers[-1].body["error"]["code"] == "RATE_LIMIT_ERROR" and int(answers[-1].headers["retry-after"]) >= 1
    # Refused before the lookup, the right key too: otherwise a 429 against a 200 would tell a guesser
    # which key was right.
    assert limited.send("GET", "/payments", seed.API_KEY).status == 429
    assert limited.send("GET", "/payments", seed.API_KEY, source=NEIGHBOUR).status == 200
    # The job status takes a key too (to count that merchant's work), so the same holds there.
    assert limited.send("GET", "/test/jobs/status", "key_test_another").status == 429
    time.sleep(1.1 / PUBLISHABLE_PER_S)
    assert limited.send("GET", "/payments", seed.API_KEY).status == 200


def test_the_job_status_without_a_key_is_limited_per_client_address(limited: Server) -> None:
    answers = limited.burst(PUBLISHABLE_BURST + 3, "GET", "/test/jobs/status")

    assert _statuses(answers)[:PUBLISHABLE_BURST] == [200] * PUBLISHABLE_BURST and answers[-1].status == 429
    assert limited.send("GET", "/test/jobs/status", source=NEIGHBOUR).status == 200


# ---- webhook endpoints (the shared server) ---------------------------------------------------------


def test_the_17th_webhook_endpoint_is_refused_and_deleted_ones_do_not_count(
    api: Api, other_api: Api, live_api: Api, receiver: Receiver
) -> None:
    made = [api.post("/webhook-endpoints", json={"url": receiver.url}) for _ in range(MAX_WEBHOOK_ENDPOINTS)]
    assert [r.status_code for r in made] == [201] * 16

    refused = api.post("/webhook-endpoints", json={"url": receiver.url})

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    assert "16 webhook endpoints" in refused.json()["error"]["description"]
    assert api.get("/webhook-endpoints").json()["total"] == 16
    # Per merchant and mode; and a deleted endpoint frees its place.
    assert other_api.post("/webhook-endpoints", json={"url": receiver.url}).status_code == 201
    assert live_api.post("/webhook-endpoints", json={"url": receiver.url}).status_code == 201
    assert api.delete(f"/webhook-endpoints/{made[0].json()['id']}").status_code == 200
    assert api.post("/webhook-endpoints", json={"url": receiver.url}).status_code == 201
    assert api.post("/webhook-endpoints", json={"url": receiver.url}).status_code == 400


def test_concurrent_creates_never_pass_the_endpoint_limit(api: Api, receiver: Receiver) -> None:
    with db.transaction() as tx:
        for _ in range(MAX_WEBHOOK_ENDPOINTS - 4):
            webhook_endpoints.insert(tx, seed.MERCHANT_ID, receiver.url, None, signing.new_secret())

    def create(_: int) -> int:
        return Api(api.base).post("/webhook-endpoints", json={"url": receiver.url}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(12)))

    assert sorted(statuses) == [201] * 4 + [400] * 8
    assert api.get("/webhook-endpoints").json()["total"] == MAX_WEBHOOK_ENDPOINTS


def test_a_create_counts_after_one_in_flight_has_committed(receiver: Receiver) -> None:
    # Without the lock, both transactions would count 15 and both would add one.
    with db.transaction() as tx:
        for _ in range(MAX_WEBHOOK_ENDPOINTS - 1):
            webhook_endpoints.insert(tx, seed.MERCHANT_ID, receiver.url, None, signing.new_secret())
    counted: list[int] = []

    def count_in_another_transaction() -> None:
        with db.transaction() as tx:
            counted.append(webhook_endpoints.count_locked(tx, seed.MERCHANT_ID, False))

    with db.transaction() as first:
        assert webhook_endpoints.count_locked(first, seed.MERCHANT_ID, False) == MAX_WEBHOOK_ENDPOINTS - 1
        webhook_endpoints.insert(first, seed.MERCHANT_ID, receiver.url, None, signing.new_secret())
        second = threading.Thread(target=count_in_another_transaction)
        second.start()
        second.join(timeout=0.5)
        assert second.is_alive() and counted == []  # waiting for the first to end
    second.join(timeout=30)

    assert counted == [MAX_WEBHOOK_ENDPOINTS]


def test_test_events_are_limited_per_endpoint(api: Api, receiver: Receiver) -> None:
    first, second = (api.post("/webhook-endpoints", json={"url": receiver.url}).json() for _ in range(2))

    sent = [api.post(f"/webhook-endpoints/{first['id']}/test") for _ in range(TEST_EVENTS.burst + 1)]

    assert [r.status_code for r in sent] == [202] * TEST_EVENTS.burst + [429]
    refused = sent[-1]
    assert refused.json()["error"]["code"] == "RATE_LIMIT_ERROR"
    assert 1 <= int(refused.headers["Retry-After"]) <= 6  # one test event every 6 s after the burst
    assert scalar("SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = %s", first["id"]) == 10
    assert api.post(f"/webhook-endpoints/{second['id']}/test").status_code == 202
