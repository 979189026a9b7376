"""At least once, nothing lost: crashed pollers, a flushed Redis, jobs that run twice."""

from __future__ import annotations

import signal
from typing import Any

import redis

from functions.jobs import deliver_webhook, process_payment, process_refund
from shared.queue import Job
from tests.conftest import Api, Poller, Receiver, payment_body, scalar, settled_payment, wait_until


def _count(sql: str, *args: Any) -> int:
    return int(scalar(sql, *args))


def test_job_of_a_killed_poller_is_completed_by_another(api: Api, pollers: Poller, receiver: Receiver) -> None:
    receiver.delay_s = 3  # the first delivery is still in flight when its poller dies
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url, "events": ["payment.success"]}).json()
    first = pollers.start(JOB_LEASE_S="2")
    payment = api.post("/payments", json=payment_body()).json()
    wait_until(lambda: receiver.events("payment.success"))

    first.send_signal(signal.SIGKILL)
    first.wait()
    receiver.delay_s = 0
    pollers.start(JOB_LEASE_S="2")

    def delivered() -> bool:
        found = api.get("/webhooks", params={"endpoint_id": endpoint["id"], "status": "success"}).json()
        return bool(found["data"])

    wait_until(delivered, timeout_s=20)
    assert settled_payment(api, payment["id"])["status"] == "success"
    assert len({r.headers["webhook-id"] for r in receiver.events("payment.success")}) == 1


def test_work_survives_a_flushed_redis(
    api: Api, pollers: Poller, receiver: Receiver, endpoint: Any, redis_client: redis.Redis
) -> None:
    poller = pollers.start()
    paid = settled_payment(api, api.post("/payments", json=payment_body()).json()["id"])
    poller.terminate()
    poller.wait()
    payments = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json() for i in range(5)]
    refund = api.post(f"/payments/{paid['id']}/refunds", json={"amount": 100}).json()

    redis_client.flushdb()  # every queued job is gone; PostgreSQL still knows the work
    pollers.start()

    for payment in payments:
        assert settled_payment(api, payment["id"], timeout_s=30)["status"] == "success"
    wait_until(lambda: api.get(f"/refunds/{refund['id']}").json()["status"] == "processed", timeout_s=30)
    wait_until(
        lambda: _count("SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'success'") == 0, timeout_s=30
    )
    assert len(receiver.events("payment.success")) == 6
    assert len(receiver.events("refund.processed")) == 1


def test_status_endpoint_reports_queue_and_worker(api: Api, pollers: Poller) -> None:
    status = api.get("/test/jobs/status", headers={"X-Api-Key": ""}).json()
    assert status == {
        "pending": 0,
        "processing": 0,
        "parked": 0,
        "completed": 0,
        "failed": 0,
        "worker_status": "stopped",
        "workers": 0,
        "livemode": None,  # keyless: the whole queue
    }

    api.post("/payments", json=payment_body())
    assert api.get("/test/jobs/status").json()["pending"] >= 1

    pollers.start()
    wait_until(lambda: api.get("/test/jobs/status").json()["worker_status"] == "running")
    wait_until(lambda: api.get("/test/jobs/status").json()["completed"] >= 1)


def test_replayed_payment_job_charges_and_announces_once(api: Api) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    job = Job(id=f"process_payment:{payment['id']}", type="process_payment", ref_id=payment["id"], attempt=1)

    results = [process_payment.run(job) for _ in range(4)]  # submit and settle (no delay), then replays

    assert [len(r) for r in results[1:]] == [0, 0, 0]
    assert api.get(f"/payments/{payment['id']}").json()["status"] == "success"
    for name in ("payment.pending", "payment.success"):
        assert _count("SELECT count(*) AS n FROM events WHERE type = %s", name) == 1


def test_replayed_refund_and_delivery_jobs_change_nothing(api: Api, receiver: Receiver, endpoint: Any) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    job = Job(id="x", type="process_payment", ref_id=payment["id"], attempt=1)
    process_payment.run(job)
    process_payment.run(job)
    refund = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).json()
    refund_job = Job(id="y", type="process_refund", ref_id=refund["id"], attempt=1)

    assert process_refund.run(refund_job)  # settles and fans out refund.processed
    assert process_refund.run(refund_job) == []
    assert _count("SELECT count(*) AS n FROM events WHERE type = 'refund.processed'") == 1

    delivery_id = scalar("SELECT id FROM webhook_deliveries WHERE event_type = 'refund.processed'")
    delivery_job = Job(id="z", type="deliver_webhook", ref_id=delivery_id, attempt=1)
    assert deliver_webhook.run(delivery_job) == []
    assert deliver_webhook.run(delivery_job) == []
    assert len(receiver.events("refund.processed")) == 1


def test_unknown_ids_are_no_ops_for_every_job() -> None:
    for module, ref in (
        (process_payment, "pay_missing"),
        (process_refund, "rfnd_missing"),
        (deliver_webhook, "whd_missing"),
    ):
        assert module.run(Job(id="j", type="t", ref_id=ref, attempt=1)) == []


def test_two_pollers_never_run_a_job_twice(api: Api, pollers: Poller, receiver: Receiver, endpoint: Any) -> None:
    pollers.start()
    pollers.start()
    payments = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json() for i in range(30)]

    for payment in payments:
        settled_payment(api, payment["id"], timeout_s=30)
    # Every delivery settled (an attempt is recorded just after the receiver answers).
    wait_until(lambda: _count("SELECT count(*) FROM webhook_deliveries WHERE status = 'success'") == 90, timeout_s=30)

    for name in ("payment.created", "payment.pending", "payment.success"):
        assert _count("SELECT count(*) FROM events WHERE type = %s", name) == 30
    assert _count("SELECT count(*) FROM webhook_attempts") == 90
    assert len({r.headers["webhook-id"] for r in receiver.events()}) == len(receiver.events()) == 90
