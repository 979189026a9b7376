"""Phase 7: scale out. The same workload through one API and one poller, then through two of each.

Each configuration starts from empty data with fresh processes: the APIs (each with its own
gunicorn workers), a warm-up, then one endpoint on a fast receiver subscribed to every payment event
and the pollers. Closed-loop clients, spread over the APIs, create a fixed number of payments; the
clock runs from the first request until PostgreSQL shows every payment settled and until the
receiver has had every event. Then the data is checked: each payment settled once, each event
delivered, and nothing done twice (a second settlement event, a second attempt row, a second copy at
the receiver), which is what two pollers claiming the same job at once would leave behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench import load
from bench.receiver import Receiver
from bench.stack import Client, Stack
from bench.stats import CpuSample, ProcessCpu
from shared import db
from shared.db import Cursor

# Every event a payment can send: each payment here sends created, pending and success (or failed).
PAYMENT_EVENTS = ["payment.created", "payment.pending", "payment.success", "payment.failed"]
SETTLED_EVENTS = ("payment.success", "payment.failed")
WARMUP_PER_API = 100
# Late duplicates (a second run of a job finishing after the first) get this long to arrive.
QUIET_S = 0.5


@dataclass
class ScaleRun:
    """One configuration's figures; times are seconds from the first create request."""

    processes: int  # APIs, and as many pollers
    statuses: Counter[int] = field(default_factory=Counter)  # answers to the creates; 0 = transport error
    create_s: float = 0.0  # until the last create answered
    payments: int = 0  # rows in PostgreSQL
    settled: int = 0
    settle_s: float = 0.0  # until the last payment was settled (its updated_at)
    deliveries: int = 0  # delivery rows: one per event, one endpoint
    delivered: int = 0  # of those, events the receiver had at least once
    deliver_s: float = 0.0  # until the receiver had the last event
    finished: bool = False  # everything settled and received before the wait ran out
    settled_twice: int = 0  # payments with more than one payment.success/failed event
    never_settled: int = 0  # payments with none
    duplicate_events: int = 0  # (payment, event type) recorded more than once
    multi_attempt_deliveries: int = 0  # deliveries with more than one webhook_attempts row
    failed_deliveries: int = 0
    receiver_duplicates: int = 0  # extra copies of an event at the receiver
    missing_events: int = 0  # events with a delivery row the receiver never had
    dead_jobs: int = 0
    machine_busy: float | None = None
    redis_cpu_ms: float = 0.0  # the Redis server's CPU per payment created, from the first create to the end

    @property
    def created(self) -> int:
        return self.statuses[201]

    @property
    def creates_per_s(self) -> float:
        return self.created / self.create_s if self.create_s > 0 else 0.0

    @property
    def settled_per_s(self) -> float:
        return self.settled / self.settle_s if self.settle_s > 0 else 0.0

    @property
    def delivered_per_s(self) -> float:
        return self.delivered / self.deliver_s if self.deliver_s > 0 else 0.0

    @property
    def duplicates(self) -> int:
        """Everything that shows work done twice: expected 0."""
        return self.settled_twice + self.duplicate_events + self.multi_attempt_deliveries + self.receiver_duplicates

    @property
    def missing(self) -> int:
        """Payments never settled and events never received: expected 0."""
        return self.never_settled + self.missing_events


@dataclass(frozen=True, slots=True)
class ScaleResult:
    single: ScaleRun  # 1 API + 1 poller
    double: ScaleRun  # 2 APIs + 2 pollers


def measure(
    stack: Stack, processes: int, payments: int, threads: int, wait_s: float, stop: threading.Event
) -> ScaleRun:
    """Run the workload through ``processes`` APIs and as many pollers; stops them all before returning."""
    receiver = Receiver()
    try:
        for _ in range(processes):
            stack.start_api()
        # Fresh gunicorn workers open their connections on their first requests: not in the window.
        _create_payments(stack.api_ports, threads, WARMUP_PER_API * processes, stop)
        stack.reset_data()
        _subscribe(stack.api_port, receiver.url)
        for _ in range(processes):
            stack.start_poller()
        receiver.drain()
        return _time_workload(stack, receiver, processes, payments, threads, wait_s, stop)
    finally:
        stack.stop_poller()
        stack.stop_api()
        receiver.close()


def _subscribe(port: int, url: str) -> None:
    client = Client(port)
    try:
        status, endpoint = client.post_json("/api/v1/webhook-endpoints", {"url": url, "events": PAYMENT_EVENTS})
    finally:
        client.close()
    if status != 201:
        raise RuntimeError(f"creating the webhook endpoint answered {status}: {endpoint}")


def _create_payments(ports: list[int], threads: int, count: int, stop: threading.Event) -> Counter[int]:
    """POST ``count`` payments from ``threads`` closed-loop clients, spread round-robin over ``ports``."""
    body = load.payment_body()
    slots = itertools.count()
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client_loop(port: int) -> None:
        client = Client(port)
        mine: Counter[int] = Counter()
        try:
            while not stop.is_set() and next(slots) < count:
                status, _ = client.request("POST", load.PAYMENTS, body)
                mine[status] += 1
                if status == 0:
                    time.sleep(0.01)  # do not spin on a refused connection
        finally:
            client.close()
            with lock:
                statuses.update(mine)

    workers = [
        threading.Thread(target=client_loop, args=(ports[i % len(ports)],), daemon=True, name=f"scale-{i}")
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return statuses


def _time_workload(
    stack: Stack, receiver: Receiver, processes: int, payments: int, threads: int, wait_s: float, stop: threading.Event
) -> ScaleRun:
    run = ScaleRun(processes)
    before, cpu_before = CpuSample.take(), ProcessCpu.take(0)
    started_at = time.time()
    run.statuses = _create_payments(stack.api_ports, threads, payments, stop)
    run.create_s = time.time() - started_at

    received: Counter[tuple[str, str]] = Counter()  # (event type, payment id) -> copies
    last_received_at = started_at
    deadline = time.monotonic() + wait_s
    while not stop.is_set():
        for hit in receiver.drain():
            received[(hit.event, hit.payment_id)] += 1
            last_received_at = max(last_received_at, hit.received_at)
        pending_payments, pending_deliveries, deliveries = _progress()
        run.finished = pending_payments == 0 and pending_deliveries == 0 and len(received) >= deliveries
        if run.finished or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    run.machine_busy = before.busy_until(CpuSample.take())
    # Redis only: it is one long-lived process. PostgreSQL's figure sums the backends alive at each
    # end, so other clients' backends that exit in between make it meaningless (even negative).
    run.redis_cpu_ms = cpu_before.per_request_ms(ProcessCpu.take(0), run.created)["Redis"]
    run.deliver_s = last_received_at - started_at

    time.sleep(QUIET_S)
    for hit in receiver.drain():
        received[(hit.event, hit.payment_id)] += 1
    _check(run, received, started_at)
    run.dead_jobs = stack.queue.stats()["failed"]
    return run


def _progress() -> tuple[int, int, int]:
    """Payments still pending, deliveries still pending, and all deliveries."""
    with db.autocommit() as tx:
        tx.execute(
            "SELECT (SELECT count(*) FROM payments WHERE status = 'pending') AS payments, "
            "count(*) FILTER (WHERE status = 'pending') AS pending, count(*) AS deliveries FROM webhook_deliveries"
        )
        row = tx.fetchone()
    return (int(row["payments"]), int(row["pending"]), int(row["deliveries"])) if row else (0, 0, 0)


def _check(run: ScaleRun, received: Counter[tuple[str, str]], started_at: float) -> None:
    """Fill in the settlement and delivery counts from PostgreSQL and what the receiver had."""
    with db.autocommit() as tx:
        tx.execute(
            """
            SELECT count(*) AS payments, count(*) FILTER (WHERE status <> 'pending') AS settled,
                   extract(epoch FROM max(updated_at) FILTER (WHERE status <> 'pending')) AS last_settled_at,
                   count(*) FILTER (WHERE n > 1) AS twice, count(*) FILTER (WHERE n = 0) AS never
            FROM (
                SELECT p.status, p.updated_at, count(e.id) AS n
                FROM payments p LEFT JOIN events e ON e.object_id = p.id AND e.type = ANY(%s)
                GROUP BY p.id
            ) AS settlements
            """,
            (list(SETTLED_EVENTS),),
        )
        row = tx.fetchone()
        if row:
            run.payments, run.settled = int(row["payments"]), int(row["settled"])
            run.settled_twice, run.never_settled = int(row["twice"]), int(row["never"])
            run.settle_s = float(row["last_settled_at"] or started_at) - started_at
        run.duplicate_events = _count(tx, "SELECT 1 FROM events GROUP BY object_id, type HAVING count(*) > 1")
        run.multi_attempt_deliveries = _count(
            tx, "SELECT 1 FROM webhook_attempts GROUP BY delivery_id HAVING count(*) > 1"
        )
        tx.execute("SELECT e.type, e.object_id, d.status FROM webhook_deliveries d JOIN events e ON e.id = d.event_id")
        rows = tx.fetchall()
    # The receiver sees an event's type and payment id; each pair is one event (duplicate_events says so).
    expected = {(str(r["type"]), str(r["object_id"])) for r in rows}
    run.deliveries = len(rows)
    run.failed_deliveries = sum(1 for r in rows if r["status"] == "failed")
    run.delivered = len(expected & received.keys())
    run.missing_events = len(expected - received.keys())
    run.receiver_duplicates = sum(n - 1 for n in received.values() if n > 1)


def _count(tx: Cursor, query: str) -> int:
    """How many rows ``query`` returns."""
    tx.execute(f"SELECT count(*) AS n FROM ({query}) AS found")
    row = tx.fetchone()
    return int(row["n"]) if row else 0
