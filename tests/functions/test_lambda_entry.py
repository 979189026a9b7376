"""The job and poller functions through the entry points Lambda calls."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalice.local import LambdaContext
from chalice.test import Client

from app import app
from shared import invoker, keys, queue
from shared.config import settings
from tests.conftest import Api, Receiver, count, create_endpoint, payment_body, scalar


def test_job_lambda_runs_the_job_and_queues_its_follow_ups(api: Api, receiver: Receiver, endpoint: object) -> None:
    payment = api.post("/payments", json=payment_body()).json()

    with Client(app) as client:
        result = client.lambda_.invoke("process_payment", {"type": "process_payment", "ref_id": payment["id"]})
        again = client.lambda_.invoke("process_payment", {"type": "process_payment", "ref_id": payment["id"]})

    assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    # payment.pending and payment.success deliveries were queued for the poller.
    assert [f.split(":")[0] for f in result.payload["follow_ups"]] == ["deliver_webhook"] * 2
    assert again.payload["follow_ups"] == []


class RunningShort(LambdaContext):
    """A Lambda context whose time runs short once ``done()`` holds (or, should the test go wrong,
    after ``give_up_s``): how much time is left is what the runtime says, not what a clock measures."""

    def __init__(self, done: Callable[[], bool], give_up_s: float = 60) -> None:
        super().__init__("poll_jobs", memory_size=256, max_runtime_ms=15 * 60 * 1000)
        self.done = done
        self.give_up_at = time.monotonic() + give_up_s
        # The poller stops once less than the webhook timeout + 5 s remains: just under that.
        self.short_ms = int((settings().webhook_timeout_s + 5) * 1000) - 1
        self.answers_when_short = 0

    def get_remaining_time_in_millis(self) -> int:
        if self.done() or time.monotonic() > self.give_up_at:
            self.answers_when_short += 1
            return self.short_ms
        return 15 * 60 * 1000


SCHEDULED_EVENT = {
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


def test_scheduled_poller_drains_the_queue_and_stops_at_the_first_sign_of_its_time_limit(
    api: Api, receiver: Receiver, endpoint: object
) -> None:
    payments = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json() for i in range(3)]
    # created, pending and success for each payment, delivered to the one endpoint.
    context = RunningShort(lambda: count("SELECT count(*) FROM webhook_deliveries WHERE status = 'success'") == 9)

    app.handler_map["poll_jobs"](SCHEDULED_EVENT, context)

    # It returned, having asked once after its time ran short: it stops while there is time to finish.
    assert context.answers_when_short == 1
    for payment in payments:
        assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    assert len(receiver.events("payment.success")) == 3


def test_job_lambda_settles_the_lease_a_poller_handed_it(api: Api) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    q = queue.default_queue()
    [job] = [j for j in q.claim("money", 10, lease_s=30) if j.type == "process_payment"]

    result = app.handler_map["process_payment"](invoker.job_event(job), LambdaContext("process_payment", 256))

    assert result == {"job": job.id, "settled": True}
    assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    assert q.stats()["processing"] == 0 and q.stats()["completed"] == 1


def test_a_delivery_invoked_by_hand_while_its_endpoint_is_busy_is_skipped(api: Api, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url, ["payment.created"])
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
