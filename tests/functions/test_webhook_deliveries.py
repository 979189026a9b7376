"""Webhook delivery: signatures, retries on the test schedule, the log, manual retry, isolation."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import subprocess
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from shared import db, seed
from shared.config import settings
from tests.conftest import Api, Poller, Receiver, count, create_endpoint, payment_body, wait_until

# Short waits between attempts (the README's test schedule is 0, 5, 10, 15, 20 s; tests/shared/test_webhooks.py
# pins it), so a whole schedule runs in seconds.
FAST_SCHEDULE = {"WEBHOOK_RETRY_INTERVALS": "0,1,2,3,4"}


def _deliveries(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/webhooks", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _delivery_in(api: Api, endpoint_id: str, status: str) -> dict[str, Any] | None:
    found = _deliveries(api, endpoint_id=endpoint_id, status=status)
    return found[0] if found else None


def test_delivery_is_signed_both_ways(api: Api, poller: Poller, receiver: Receiver) -> None:
    secret = create_endpoint(api, receiver.url, ["payment.success"])["secret"]
    api.post("/payments", json=payment_body())

    [request] = wait_until(lambda: receiver.events("payment.success"))

    expected_hex = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Webhook-Signature"] == expected_hex
    assert request.headers["Content-Type"] == "application/json"
    assert Webhook(secret).verify(request.body, request.headers)["event"] == "payment.success"
    assert request.headers["webhook-id"] == request.json()["id"]
    node = subprocess.run(
        [
            "node",
            "-e",
            "const c=require('crypto');let b=[];process.stdin.on('data',d=>b.push(d)).on('end',()=>"
            "console.log(c.createHmac('sha256',process.argv[1]).update(Buffer.concat(b)).digest('hex')))",
            secret,
        ],
        input=request.body,
        capture_output=True,
        check=True,
    )
    assert node.stdout.decode().strip() == expected_hex


def test_seeded_secret_verifies_with_standard_webhooks(api: Api, poller: Poller, receiver: Receiver) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret) VALUES "
            "('we_seedlike', %s, %s, ARRAY['payment.success'], %s)",
            (seed.MERCHANT_ID, receiver.url, seed.WEBHOOK_SECRET),
        )
    api.post("/payments", json=payment_body())

    [request] = wait_until(lambda: receiver.events("payment.success"))

    assert Webhook(seed.WEBHOOK_SECRET).verify(request.body, request.headers)
    assert (
        request.headers["X-Webhook-Signature"]
        == hmac.new(seed.WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    )


def test_tampered_body_fails_verification(api: Api, poller: Poller, receiver: Receiver) -> None:
    secret = create_endpoint(api, receiver.url, ["payment.success"])["secret"]
    api.post("/payments", json=payment_body())
    [request] = wait_until(lambda: receiver.events("payment.success"))

    tampered = request.body.replace(b'"amount":50000', b'"amount":1')

    assert hmac.new(secret.encode(), tampered, hashlib.sha256).hexdigest() != request.headers["X-Webhook-Signature"]
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(tampered, request.headers)


def test_every_payment_event_is_delivered_once_per_endpoint(api: Api, poller: Poller, receiver: Receiver) -> None:
    create_endpoint(api, receiver.url)
    other = Receiver()
    try:
        create_endpoint(api, other.url)
        payment = api.post("/payments", json=payment_body()).json()
        # An attempt is recorded after its receiver answered: once all six are, nothing more is coming.
        wait_until(lambda: count("SELECT count(*) FROM webhook_deliveries WHERE status = 'success'") == 6)
        for r in (receiver, other):
            names = sorted(x.json()["event"] for x in r.events())
            assert names == ["payment.created", "payment.pending", "payment.success"]
            assert all(x.json()["data"]["payment"]["id"] == payment["id"] for x in r.events())
    finally:
        other.close()


def _attempted_at(attempt: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(attempt["attempted_at"].replace("Z", "+00:00"))


def test_a_receiver_failing_twice_then_succeeding_gets_three_attempts_on_the_schedule(
    api: Api, pollers: Poller, receiver: Receiver
) -> None:
    pollers.start(**FAST_SCHEDULE)
    endpoint = create_endpoint(api, receiver.url, ["payment.success"])
    receiver.statuses = [500, 500]
    api.post("/payments", json=payment_body())

    delivery = wait_until(lambda: _delivery_in(api, endpoint["id"], "success"), timeout_s=30)

    assert (delivery["attempts"], delivery["response_code"], delivery["next_retry_at"]) == (3, 200, None)
    log = api.get(f"/webhooks/{delivery['id']}").json()["attempt_log"]
    assert [(a["trigger"], a["response_code"]) for a in log] == [
        ("scheduled", 500),
        ("scheduled", 500),
        ("scheduled", 200),
    ]
    # Never early: each retry waits at least its interval (1 s, then 2 s) after the attempt before it.
    starts = [_attempted_at(a) for a in log]
    assert starts[1] - starts[0] >= dt.timedelta(seconds=1) and starts[2] - starts[1] >= dt.timedelta(seconds=2)
    assert len(receiver.events("payment.success")) == 3
    assert len({r.headers["webhook-id"] for r in receiver.events()}) == 1  # one event id, so receivers de-duplicate


def test_a_receiver_failing_every_attempt_is_failed_after_the_schedule_and_a_manual_retry_revives_it(
    api: Api, pollers: Poller, receiver: Receiver
) -> None:
    pollers.start(**FAST_SCHEDULE)
    receiver.default_status = 503
    endpoint = create_endpoint(api, receiver.url, ["payment.success"])
    api.post("/payments", json=payment_body())

    failed = wait_until(lambda: _delivery_in(api, endpoint["id"], "failed"), timeout_s=40)

    assert (failed["attempts"], failed["response_code"], failed["next_retry_at"]) == (5, 503, None)
    detail = api.get(f"/webhooks/{failed['id']}").json()
    assert [a["response_code"] for a in detail["attempt_log"]] == [503] * 5
    assert all(a["trigger"] == "scheduled" and a["duration_ms"] >= 0 for a in detail["attempt_log"])
    assert json.loads(detail["attempt_log"][0]["response_body"])["status"] == 503

    receiver.default_status = 200
    retry = api.post(f"/webhooks/{failed['id']}/retry")

    assert retry.status_code == 202 and retry.json()["status"] == "pending"
    done = wait_until(lambda: _delivery_in(api, endpoint["id"], "success"))
    assert done["attempts"] == 6
    last = api.get(f"/webhooks/{done['id']}").json()["attempt_log"][-1]
    assert last["trigger"] == "manual" and last["response_code"] == 200
    assert len({r.headers["webhook-id"] for r in receiver.events()}) == 1


def test_manual_retry_of_a_successful_delivery_sends_it_again(api: Api, poller: Poller, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url, ["payment.success"])
    api.post("/payments", json=payment_body())
    delivery = wait_until(lambda: _delivery_in(api, endpoint["id"], "success"))

    assert api.post(f"/webhooks/{delivery['id']}/retry").status_code == 202

    wait_until(lambda: len(receiver.events("payment.success")) == 2)
    assert wait_until(lambda: _delivery_in(api, endpoint["id"], "success"))["attempts"] == 2


def test_redirect_and_unreachable_receiver_are_failed_attempts(api: Api, poller: Poller, receiver: Receiver) -> None:
    receiver.default_status = 302
    redirecting = create_endpoint(api, receiver.url, ["payment.created"])
    closed = create_endpoint(api, "http://127.0.0.1:1/webhook", ["payment.created"])
    api.post("/payments", json=payment_body())

    def first_attempt(endpoint_id: str) -> dict[str, Any] | None:
        found = _deliveries(api, endpoint_id=endpoint_id)
        return found[0] if found and found[0]["attempts"] >= 1 else None

    redirected = wait_until(lambda: first_attempt(redirecting["id"]))
    assert redirected["status"] == "pending" and redirected["response_code"] == 302
    assert "redirect" in redirected["last_error"] and redirected["next_retry_at"]
    refused = wait_until(lambda: first_attempt(closed["id"]))
    assert refused["response_code"] is None and refused["last_error"] == "connection refused"


def test_delivery_log_filters_and_pagination(api: Api, poller: Poller, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url)
    for i in range(3):
        api.post("/payments", json=payment_body(order_id=f"o{i}"))
    wait_until(lambda: len(_deliveries(api, status="success", limit=100)) == 9)

    page = api.get("/webhooks", params={"limit": 2, "offset": 0}).json()
    assert page["total"] == 9 and page["limit"] == 2 and len(page["data"]) == 2
    assert page["data"][0]["created_at"] >= page["data"][1]["created_at"]
    assert len(_deliveries(api, event="payment.success")) == 3
    assert len(_deliveries(api, endpoint_id=endpoint["id"], limit=100)) == 9
    assert _deliveries(api, status="failed") == []
    row = page["data"][0]
    assert [d["id"] for d in _deliveries(api, event_id=row["event_id"])] == [row["id"]]
    assert _deliveries(api, event_id="evt_unknown") == []
    assert set(row) >= {
        "id",
        "endpoint_id",
        "event",
        "event_id",
        "status",
        "attempts",
        "last_attempt_at",
        "next_retry_at",
        "response_code",
        "created_at",
    }


def test_another_merchants_delivery_is_not_found(api: Api, other_api: Api, poller: Poller, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url, ["payment.created"])
    api.post("/payments", json=payment_body())
    delivery = wait_until(lambda: _delivery_in(api, endpoint["id"], "success"))

    assert other_api.get(f"/webhooks/{delivery['id']}").status_code == 404
    assert other_api.post(f"/webhooks/{delivery['id']}/retry").status_code == 404
    assert other_api.get("/webhooks").json()["total"] == 0


def test_a_slow_endpoint_holds_only_its_own_slots_and_others_are_delivered_meanwhile(
    api: Api, poller: Poller, receiver: Receiver
) -> None:
    slow = Receiver()
    slow.delay_s = 5  # answers, but long after the others (and within the 10 s attempt timeout)
    try:
        create_endpoint(api, slow.url)  # 30 deliveries: more than the webhook lane's 16 threads
        create_endpoint(api, receiver.url, ["payment.success"])
        for i in range(10):
            api.post("/payments", json=payment_body(order_id=f"o{i}"))

        wait_until(lambda: len(receiver.events("payment.success")) == 10, timeout_s=30)

        # Without per-endpoint slots the slow endpoint's deliveries would take every thread of the lane.
        assert 1 <= slow.most_in_flight <= settings().webhook_endpoint_concurrency
    finally:
        slow.close()


def test_test_event_goes_to_that_endpoint_only(api: Api, poller: Poller, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url, ["refund.processed"])
    other = Receiver()
    try:
        create_endpoint(api, other.url)
        response = api.post(f"/webhook-endpoints/{endpoint['id']}/test")

        assert response.status_code == 202 and response.json()["event"] == "webhook.test"
        [request] = wait_until(lambda: receiver.events("webhook.test"))
        assert (
            Webhook(endpoint["secret"]).verify(request.body, request.headers)["data"]["endpoint_id"] == endpoint["id"]
        )
        assert wait_until(lambda: _delivery_in(api, endpoint["id"], "success"))["event"] == "webhook.test"
        assert other.events() == []
        assert len(_deliveries(api, event="webhook.test")) == 1
    finally:
        other.close()


def test_test_event_to_a_disabled_endpoint_is_refused(api: Api, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url)
    api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})

    response = api.post(f"/webhook-endpoints/{endpoint['id']}/test")

    assert response.status_code == 400
    assert _deliveries(api) == []
