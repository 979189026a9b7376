"""At least once, nothing lost: crashed pollers, a flushed Redis, an unreachable PostgreSQL or Redis,
jobs that run twice."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import redis
import requests

from functions.jobs import deliver_webhook, process_payment, process_refund
from shared.config import settings
from shared.queue import Job
from tests.conftest import (
    Api,
    Poller,
    Receiver,
    count,
    create_endpoint,
    payment_body,
    running_api,
    scalar,
    settled_payment,
    wait_until,
)


class Partition:
    """A TCP relay on loopback to a server; ``cut()`` drops every connection through it and refuses
    new ones (accepted, then closed) until ``mend()``: a network partition, with the server itself
    left running for the other tests."""

    def __init__(self, url: str) -> None:
        target = urllib.parse.urlsplit(url)
        self._target = (target.hostname or "127.0.0.1", target.port or 0)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        user = f"{target.username}@" if target.username else ""
        self.url = target._replace(netloc=f"{user}127.0.0.1:{self.port}").geturl()  # ``url`` through the relay
        self._open = True
        self._closed = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def cut(self) -> None:
        with self._lock:
            self._open = False
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()

    def mend(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if not self._open:
                    client.close()
                    continue
                server = socket.create_connection(self._target)
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        source.close()  # each socket is the source of one pump, so both end up closed


@contextlib.contextmanager
def partitioned(url: str) -> Iterator[Partition]:
    partition = Partition(url)
    try:
        yield partition
    finally:
        partition.close()


def test_job_of_a_killed_poller_is_completed_by_another(api: Api, pollers: Poller, receiver: Receiver) -> None:
    receiver.delay_s = 3  # the first delivery is still in flight when its poller dies
    endpoint = create_endpoint(api, receiver.url, ["payment.success"])
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
        lambda: count("SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'success'") == 0, timeout_s=30
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
        assert count("SELECT count(*) AS n FROM events WHERE type = %s", name) == 1


def test_replayed_refund_and_delivery_jobs_change_nothing(api: Api, receiver: Receiver, endpoint: Any) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    job = Job(id="x", type="process_payment", ref_id=payment["id"], attempt=1)
    process_payment.run(job)
    process_payment.run(job)
    refund = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).json()
    refund_job = Job(id="y", type="process_refund", ref_id=refund["id"], attempt=1)

    assert process_refund.run(refund_job)  # settles and fans out refund.processed
    assert process_refund.run(refund_job) == []
    assert count("SELECT count(*) AS n FROM events WHERE type = 'refund.processed'") == 1

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
    wait_until(lambda: count("SELECT count(*) FROM webhook_deliveries WHERE status = 'success'") == 90, timeout_s=30)

    for name in ("payment.created", "payment.pending", "payment.success"):
        assert count("SELECT count(*) FROM events WHERE type = %s", name) == 30
    assert count("SELECT count(*) FROM webhook_attempts") == 90
    assert len({r.headers["webhook-id"] for r in receiver.events()}) == len(receiver.events()) == 90


def test_with_postgresql_unreachable_a_create_is_a_503_and_the_same_key_succeeds_once_it_is_back() -> None:
    with (
        partitioned(settings().database_url) as postgres,
        running_api(DATABASE_URL=postgres.url, WEB_CONCURRENCY="1") as base,
    ):
        api = Api(base)
        key = {"Idempotency-Key": "order-7-attempt-1"}
        postgres.cut()

        down = api.post("/payments", json=payment_body(order_id="order-7"), headers=key)

        assert down.status_code == 503, down.text
        assert down.json()["error"]["code"] == "SERVER_ERROR"
        postgres.mend()

        # The README's advice: retry with the same key. A connection the outage broke may cost
        # one more 503; whatever gets through must be the one payment, created now.
        def answered() -> requests.Response | None:
            response = api.post("/payments", json=payment_body(order_id="order-7"), headers=key)
            return None if response.status_code == 503 else response

        back = wait_until(answered)
        assert back.status_code == 201, back.text
        assert "Idempotent-Replayed" not in back.headers
        replayed = api.post("/payments", json=payment_body(order_id="order-7"), headers=key)
        assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.text == back.text
    assert count("SELECT count(*) FROM payments WHERE order_id = 'order-7'") == 1


def test_with_redis_unreachable_at_commit_a_create_still_succeeds_and_a_poller_completes_it(
    pollers: Poller, receiver: Receiver
) -> None:
    with (
        partitioned(settings().redis_url) as redis_link,
        running_api(REDIS_URL=redis_link.url, WEB_CONCURRENCY="1") as base,
    ):
        api = Api(base)
        create_endpoint(api, receiver.url, ["payment.created", "payment.success"])
        redis_link.cut()

        created = api.post("/payments", json=payment_body())

        assert created.status_code == 201, created.text
        assert created.json()["status"] == "pending"
        # Nothing reached the queue: only reconciliation, from PostgreSQL, can find this work.
        pollers.start()
        assert settled_payment(api, created.json()["id"], timeout_s=30)["status"] == "success"
        wait_until(lambda: receiver.events("payment.created") and receiver.events("payment.success"))


def test_worker_status_is_running_while_a_poller_lives_and_stopped_once_the_last_has_died(pollers: Poller) -> None:
    with running_api(HEARTBEAT_TTL_S="3", WEB_CONCURRENCY="1") as base:
        api = Api(base, key="")

        def status() -> dict[str, Any]:
            return dict(api.get("/test/jobs/status").json())

        assert (status()["worker_status"], status()["workers"]) == ("stopped", 0)
        first, last = pollers.start(), pollers.start()
        wait_until(lambda: status()["workers"] == 2)
        assert status()["worker_status"] == "running"

        first.terminate()  # a clean stop says goodbye at once
        first.wait()
        wait_until(lambda: status()["workers"] == 1)
        assert status()["worker_status"] == "running"

        last.send_signal(signal.SIGKILL)  # a crash says nothing: its heartbeat runs out
        last.wait()
        wait_until(lambda: status()["worker_status"] == "stopped")
        assert status()["workers"] == 0
