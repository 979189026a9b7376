"""test-merchant/: the Node webhook receiver verifies what the gateway really sends.

Each test runs ``node test-merchant/webhook-receiver.js`` as a process on a free port, with the
gateway API and a poller as real processes too (see tests/conftest.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from shared import db, seed, signing
from tests.conftest import (
    NODE,
    ROOT,
    Api,
    MerchantReceiver,
    Poller,
    create_endpoint,
    free_port,
    payment_body,
    require,
    settled_payment,
    wait_until,
)

MERCHANT_DIR = ROOT / "test-merchant"
StartMerchant = Callable[..., MerchantReceiver]


@pytest.fixture
def start_merchant(tmp_path: Path) -> Iterator[StartMerchant]:
    """Start receivers with ``start_merchant(port, secret, **env)``; all are stopped after the test."""
    started: list[MerchantReceiver] = []

    def start(port: int | None = None, secret: str | None = None, **env: str) -> MerchantReceiver:
        port = port or free_port()
        merchant = MerchantReceiver(port, tmp_path / f"merchant-{port}.log", secret, **env)
        started.append(merchant)
        return merchant

    try:
        yield start
    finally:
        for merchant in started:
            merchant.stop()


def _merchant_with_endpoint(
    api: Api, start_merchant: StartMerchant, events: list[str] | None = None, **env: str
) -> tuple[MerchantReceiver, dict[str, Any]]:
    """Register the endpoint first: its secret is only known once the gateway has made it."""
    port = free_port()
    endpoint = create_endpoint(api, f"http://127.0.0.1:{port}/webhook", events)
    return start_merchant(port, endpoint["secret"], **env), endpoint


def _successful_payment(api: Api) -> str:
    response = api.post("/payments", json=payment_body())
    assert response.status_code == 201, response.text
    payment_id = str(response.json()["id"])
    assert settled_payment(api, payment_id)["status"] == "success"
    return payment_id


def _delivery(api: Api, endpoint_id: str, event: str) -> dict[str, Any]:
    response = api.get("/webhooks", params={"endpoint_id": endpoint_id, "event": event})
    assert response.status_code == 200, response.text
    [delivery] = response.json()["data"]
    return dict(delivery)


def _event_body(event_id: str, event: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": event_id, "event": event, "timestamp": int(time.time()), "data": data}).encode()


def test_payment_success_reaches_the_test_merchant_verified(
    api: Api, poller: Poller, start_merchant: StartMerchant
) -> None:
    merchant, endpoint = _merchant_with_endpoint(api, start_merchant)

    payment_id = _successful_payment(api)

    [entry] = wait_until(lambda: merchant.processed("payment.success"))
    assert entry["id"].startswith("evt_")
    assert entry["data"]["payment"]["id"] == payment_id
    assert f"Verified: payment.success {payment_id}" in merchant.output()
    assert "Forged Request" not in merchant.output()
    assert all(e["verified"] for e in merchant.events())
    wait_until(lambda: _delivery(api, endpoint["id"], "payment.success")["status"] == "success")


def test_refund_processed_reaches_the_test_merchant_verified(
    api: Api, poller: Poller, start_merchant: StartMerchant
) -> None:
    merchant, _ = _merchant_with_endpoint(api, start_merchant, ["payment.success", "refund.processed"])
    payment_id = _successful_payment(api)

    response = api.post(f"/payments/{payment_id}/refunds", json={"amount": 100})
    assert response.status_code == 201, response.text
    refund_id = response.json()["id"]

    [entry] = wait_until(lambda: merchant.processed("refund.processed"))
    assert entry["data"]["refund"]["id"] == refund_id
    assert entry["data"]["refund"]["amount"] == 100
    assert f"Verified: refund.processed {refund_id}" in merchant.output()


def test_seeded_secret_verifies_end_to_end(api: Api, poller: Poller, start_merchant: StartMerchant) -> None:
    merchant = start_merchant()  # no WEBHOOK_SECRET: the receiver's default is the seeded secret
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_seedlike', %s, %s, %s)",
            (seed.MERCHANT_ID, merchant.url, seed.WEBHOOK_SECRET),
        )

    payment_id = _successful_payment(api)

    [entry] = wait_until(lambda: merchant.processed("payment.success"))
    assert entry["data"]["payment"]["id"] == payment_id
    assert f"Verified: payment.success {payment_id}" in merchant.output()
    assert "whsec_test_abc123" in merchant.output().splitlines()[0]


def test_forged_request_is_refused(start_merchant: StartMerchant) -> None:
    merchant = start_merchant(secret=signing.new_secret())
    body = _event_body("evt_forged", "payment.success", {"payment": {"id": "pay_forged"}})
    wrong_secret = signing.headers([signing.new_secret()], "evt_forged", int(time.time()), body)

    response = merchant.post(body, wrong_secret)

    assert response.status_code == 401
    assert response.json() == {"error": "invalid signature"}
    assert "Forged Request" in merchant.output()
    assert "Verified:" not in merchant.output()
    [entry] = merchant.events()
    assert entry["verified"] is False and entry["id"] == "evt_forged"
    assert merchant.post(body, {"X-Webhook-Signature": "0" * 64}).status_code == 401


def test_tampered_body_is_refused(start_merchant: StartMerchant) -> None:
    secret = signing.new_secret()
    merchant = start_merchant(secret=secret)
    body = _event_body("evt_1", "payment.success", {"payment": {"id": "pay_1", "amount": 100}})
    headers = signing.headers([secret], "evt_1", int(time.time()), body)

    response = merchant.post(body.replace(b'"amount": 100', b'"amount": 1'), headers)

    assert response.status_code == 401
    assert merchant.post(body, headers).status_code == 200


def test_stale_or_future_timestamp_is_refused(start_merchant: StartMerchant) -> None:
    secret = signing.new_secret()
    merchant = start_merchant(secret=secret)
    body = _event_body("evt_stale", "payment.success", {"payment": {"id": "pay_stale"}})

    for timestamp in (int(time.time()) - 600, int(time.time()) + 600):
        # Signed correctly by the gateway's own code, just at the wrong time.
        response = merchant.post(body, signing.headers([secret], "evt_stale", timestamp, body))
        assert response.status_code == 401
        assert response.json() == {"error": "stale timestamp"}

    assert merchant.output().count("Forged Request") == 2
    assert merchant.post(body, signing.headers([secret], "evt_stale", int(time.time()), body)).status_code == 200


def test_same_event_posted_twice_is_a_duplicate(start_merchant: StartMerchant) -> None:
    secret = signing.new_secret()
    merchant = start_merchant(secret=secret)
    body = _event_body("evt_twice", "payment.success", {"payment": {"id": "pay_twice"}})

    first = merchant.post(body, signing.headers([secret], "evt_twice", int(time.time()), body))
    second = merchant.post(body, signing.headers([secret], "evt_twice", int(time.time()), body))

    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert [e["duplicate"] for e in merchant.events()] == [False, True]
    assert merchant.output().count("Verified: payment.success pay_twice") == 1


def test_gateway_redelivery_is_answered_as_a_duplicate(api: Api, poller: Poller, start_merchant: StartMerchant) -> None:
    merchant, endpoint = _merchant_with_endpoint(api, start_merchant, ["payment.success"])
    payment_id = _successful_payment(api)
    wait_until(lambda: _delivery(api, endpoint["id"], "payment.success")["status"] == "success")
    delivery = _delivery(api, endpoint["id"], "payment.success")

    assert api.post(f"/webhooks/{delivery['id']}/retry").status_code == 202

    [duplicate] = wait_until(lambda: [e for e in merchant.events() if e["duplicate"]])
    assert duplicate["id"] == delivery["event_id"] and duplicate["verified"] is True

    def manual_attempt() -> dict[str, Any] | None:
        attempts = api.get(f"/webhooks/{delivery['id']}").json()["attempt_log"]
        return next((dict(a) for a in attempts if a["trigger"] == "manual"), None)

    manual = wait_until(manual_attempt)
    assert manual["response_code"] == 200
    assert json.loads(manual["response_body"])["duplicate"] is True
    assert merchant.output().count(f"Verified: payment.success {payment_id}") == 1


def test_fail_first_makes_the_gateway_retry(api: Api, poller: Poller, start_merchant: StartMerchant) -> None:
    merchant, endpoint = _merchant_with_endpoint(api, start_merchant, ["payment.success"], FAIL_FIRST="1")
    payment_id = _successful_payment(api)

    # The test retry schedule waits 5 s before the second attempt.
    [entry] = wait_until(lambda: merchant.processed("payment.success"), timeout_s=30)

    assert entry["data"]["payment"]["id"] == payment_id
    assert [e["status"] for e in merchant.events()] == [500, 200]
    wait_until(lambda: _delivery(api, endpoint["id"], "payment.success")["status"] == "success")
    assert _delivery(api, endpoint["id"], "payment.success")["attempts"] == 2


def test_receiver_answers_on_ipv4_and_ipv6_loopback(start_merchant: StartMerchant) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    merchant = start_merchant()

    assert requests.get(f"http://127.0.0.1:{merchant.port}/health", timeout=5).status_code == 200
    assert requests.get(f"http://[::1]:{merchant.port}/health", timeout=5).status_code == 200
    assert requests.get(f"http://localhost:{merchant.port}/health", timeout=5).status_code == 200


def test_events_can_be_cleared(start_merchant: StartMerchant) -> None:
    merchant = start_merchant()
    body = _event_body("evt_clear", "webhook.test", {})
    merchant.post(body, signing.headers([seed.WEBHOOK_SECRET], "evt_clear", int(time.time()), body))
    assert len(merchant.events()) == 1

    assert requests.delete(f"{merchant.base}/events", timeout=5).json() == {"cleared": 1}

    assert merchant.events() == []


def test_node_unit_tests_pass() -> None:
    node = require(NODE, "node is not on PATH: test-merchant/ is a Node.js server")
    result = subprocess.run([node, "--test"], cwd=MERCHANT_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
