"""Isolation: slow receivers cannot hold up payments or other endpoints; failed jobs stay dead."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from functions.jobs import deliver_webhook, process_payment
from shared import db, queue, reconcile
from shared.config import settings
from shared.job_types import MONEY, WEBHOOKS
from shared.queue import CrashRetry, JobHandler
from tests.conftest import ROOT, Api, Poller, Receiver, create_endpoint, payment_body, scalar, wait_until


@pytest.fixture
def slow_receivers() -> Iterator[list[Receiver]]:
    receivers = [Receiver() for _ in range(4)]
    for r in receivers:
        r.delay_s = 10
    yield receivers
    for r in receivers:
        r.close()


def test_slow_endpoints_hold_up_neither_payments_nor_a_healthy_endpoint(
    api: Api, poller: Poller, receiver: Receiver, slow_receivers: list[Receiver]
) -> None:
    for slow in slow_receivers:
        create_endpoint(api, slow.url)
    create_endpoint(api, receiver.url, ["payment.success"])

    created = []
    for i in range(60):  # 20 a second, as a busy shop would
        created.append(api.post("/payments", json=payment_body(order_id=f"o{i}")).json()["id"])
        time.sleep(0.05)

    # 720 deliveries wait on receivers that take 10 s; payments and the healthy endpoint do not.
    # (make bench measures the latencies; here the bounds are generous, for a busy machine.)
    wait_until(lambda: scalar("SELECT count(*) AS n FROM payments WHERE status = 'success'") == 60, timeout_s=20)
    wait_until(lambda: len(receiver.events("payment.success")) == 60, timeout_s=20)
    assert {r.json()["data"]["payment"]["id"] for r in receiver.events("payment.success")} == set(created)
    # Waiting deliveries are parked, not spun: the completed count is real work only.
    status = api.get("/test/jobs/status").json()
    assert status["parked"] > 0
    attempts = scalar("SELECT coalesce(sum(attempts), 0) AS n FROM webhook_deliveries")
    assert status["completed"] <= 60 + 2 * attempts + 2 * scalar("SELECT count(*) AS n FROM webhook_deliveries")


def _quick_retries(handler: Any) -> JobHandler:
    """The job module as it is, but giving up after 3 quick runs instead of 8 over minutes."""
    fast: JobHandler = SimpleNamespace(
        CRASH_RETRY=CrashRetry(max_attempts=3, first_delay_s=0.01, max_delay_s=0.01),
        run=handler.run,
        give_up=handler.give_up,
    )
    return fast


def _drain(lane: str, handler: JobHandler, seconds: float = 3) -> None:
    q = queue.default_queue()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for job in q.claim(lane, 10, lease_s=30):
            queue.execute(q, handler, job)
        time.sleep(0.02)


@pytest.fixture
def failing_table() -> Iterator[Any]:
    """Make every write to a table fail, as a bug or a broken migration would."""
    made: list[str] = []

    def fail_writes_to(table: str, events: str = "INSERT OR UPDATE", when: str = "true") -> None:
        with db.transaction() as tx:
            tx.execute(
                "CREATE OR REPLACE FUNCTION gw_test_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql"
            )
            tx.execute(
                f"CREATE TRIGGER gw_test_refuse BEFORE {events} ON {table} "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION gw_test_refuse()"
            )
        made.append(table)

    def heal() -> None:
        with db.transaction() as tx:
            for table in made:
                tx.execute(f"DROP TRIGGER IF EXISTS gw_test_refuse ON {table}")
        made.clear()

    fail_writes_to.heal = heal  # type: ignore[attr-defined]
    yield fail_writes_to
    heal()


def _gateway(*args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def test_a_payment_whose_job_keeps_failing_stays_dead_until_a_person_retries(
    api: Api, other_api: Api, failing_table: Any
) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    # Handing the payment to the acquirer fails every time; marking it as given up still works.
    failing_table("payments", "UPDATE", "NEW.submitted_at IS DISTINCT FROM OLD.submitted_at")
    handler = _quick_retries(process_payment)

    _drain(MONEY, handler)

    shown = api.get(f"/payments/{payment['id']}").json()
    assert shown["status"] == "pending" and "stopped after 3 failed runs" in shown["processing_error"]
    assert api.get("/test/jobs/status").json()["failed"] == 1
    assert other_api.get("/test/jobs/status").json()["failed"] == 0  # another merchant's job status
    assert [j["id"] for j in _gateway("queue")["dead"]] == [f"process_payment:{payment['id']}"]
    # Reconciliation fills in lost work only: it leaves the dead job dead, however often it runs.
    for _ in range(3):
        reconcile.run(queue.default_queue(), settings(), "test")
        queue.default_queue().redis.delete("gw:lock:reconcile")
    assert queue.default_queue().claim(MONEY, 10, lease_s=30) == []

    failing_table.heal()
    assert _gateway("retry-dead", f"process_payment:{payment['id']}")["queued"]
    _drain(MONEY, process_payment, seconds=1)
    shown = api.get(f"/payments/{payment['id']}").json()
    assert shown["status"] == "success" and shown["processing_error"] is None
    assert api.get("/test/jobs/status").json()["failed"] == 0


def test_a_delivery_whose_job_keeps_failing_is_failed_and_retried_only_by_hand(
    api: Api, receiver: Receiver, failing_table: Any
) -> None:
    create_endpoint(api, receiver.url, ["payment.created"])
    api.post("/payments", json=payment_body())
    failing_table("webhook_attempts")  # the attempt is made, but cannot be recorded
    handler = _quick_retries(deliver_webhook)

    _drain(WEBHOOKS, handler)

    [delivery] = api.get("/webhooks").json()["data"]
    assert delivery["status"] == "failed" and "stopped after 3 failed runs" in delivery["last_error"]
    assert api.get("/test/jobs/status").json()["failed"] == 1
    reconcile.run(queue.default_queue(), settings(), "test")
    assert queue.default_queue().claim(WEBHOOKS, 10, lease_s=30) == []

    failing_table.heal()
    assert api.post(f"/webhooks/{delivery['id']}/retry").status_code == 202
    _drain(WEBHOOKS, deliver_webhook, seconds=1)
    assert api.get(f"/webhooks/{delivery['id']}").json()["status"] == "success"
    assert api.get("/test/jobs/status").json()["failed"] == 0
