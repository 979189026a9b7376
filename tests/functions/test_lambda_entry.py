"""The job and poller functions through the entry points Lambda calls."""

from __future__ import annotations

import time

from chalice.local import LambdaContext
from chalice.test import Client

from app import app
from shared import invoker, keys, queue
from shared.config import settings
from tests.conftest import Api, Receiver, payment_body, scalar, wait_until


def test_job_lambda_runs_the_job_and_queues_its_follow_ups(api: Api, receiver: Receiver, endpoint: object) -> None:
    payment = api.post("/payments", json=payment_body()).json()

    with Client(app) as client:
        result = client.lambda_.invoke("process_payment", {"type": "process_payment", "ref_id": payment["id"]})
        again = client.lambda_.invoke("process_payment", {"type": "process_payment", "ref_id": payment["id"]})

    assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    # payment.pending and payment.success deliveries were queued for the poller.
    assert [f.split(":")[0] for f in result.payload["follow_ups"]] == ["deliver_webhook"] * 2
    assert again.payload["follow_ups"] == []


def test_scheduled_poller_drains_the_queue_and_stops_before_its_time_limit(
    api: Api, receiver: Receiver, endpoint: object
) -> None:
    payments = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json() for i in range(3)]
    event = {
        "id": "e",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "1",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
        "version": "0",
    }
    # The poller stops once less than the webhook timeout + 5 s remains: this gives it about 2 s.
    context = LambdaContext("poll_jobs", memory_size=256, max_runtime_ms=17_000)

    app.handler_map["poll_jobs"](event, context)

    for payment in payments:
        assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    wait_until(lambda: len(receiver.events("payment.success")) == 3, timeout_s=1)


def test_job_lambda_settles_the_lease_a_poller_handed_it(api: Api) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    q = queue.default_queue()
    [job] = [j for j in q.claim("money", 10, lease_s=30) if j.type == "process_payment"]

    result = app.handler_map["process_payment"](invoker.job_event(job), LambdaContext("process_payment", 256))

    assert result == {"job": job.id, "settled": True}
    assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    assert q.stats()["processing"] == 0 and q.stats()["completed"] == 1


def test_a_delivery_invoked_by_hand_while_its_endpoint_is_busy_is_skipped(api: Api, receiver: Receiver) -> None:
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url, "events": ["payment.created"]}).json()
    api.post("/payments", json=payment_body())
    delivery_id = scalar("SELECT id FROM webhook_deliveries")
    # Every slot of the endpoint is held by attempts in flight elsewhere.
    in_flight_until = int(time.time() * 1000) + 60_000
    queue.default_queue().redis.zadd(
        keys.endpoint_slots(endpoint["id"]),
        {f"whd_elsewhere{i}": in_flight_until for i in range(settings().webhook_endpoint_concurrency)},
    )

    result = app.handler_map["deliver_webhook"]({"ref_id": delivery_id}, LambdaContext("deliver_webhook", 256))

    assert "skipped" in result and receiver.events() == []
