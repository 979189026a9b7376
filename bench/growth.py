"""Phase 6: how cost grows with work, on the real gateway (the no-op job backlog is ``queue_bench.growth``).

A deep delivery backlog: ``count`` delivery rows are written in bulk, their ``deliver_webhook``
jobs queued with nothing running (Redis ``used_memory`` noted before and after), then one real
poller drains them all to a fast receiver. Does the rate hold as the backlog shrinks?

Memory over many payments: with the API and one poller running, payments are created through the
API at a steady rate in rounds. After each round, once every payment has settled and its
``payment.success`` has reached the receiver, the resident memory of the API's processes and the
poller is sampled. It should stay flat after warm-up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from bench import load
from bench.receiver import Receiver
from bench.stack import Stack
from bench.stats import descendants
from shared import db, events, ids, seed
from shared.job_types import DELIVER_WEBHOOK
from shared.models.base import dumps
from shared.queue import FollowUp

EVENT_TYPE = "payment.created"
ROWS_PER_STATEMENT = 1000  # also jobs per enqueue call, as queue_bench.fill queues them
SAMPLE_PAYMENT = {"id": "pay_x", "amount": 50000, "currency": "INR", "status": "pending"}
STATUS_EVERY_S = 2.0  # counting 100,000 rows' statuses costs PostgreSQL CPU the poller needs
ROUNDS = 5  # RSS is sampled before the first round and after each
CREATES_PER_S = 200.0  # below what API + poller sustain together here, so no backlog builds up
CREATE_SENDERS = 8


# Delivery backlog ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BacklogResult:
    count: int
    insert_s: float  # writing the rows
    bytes_per_job: float  # Redis used_memory growth per queued job (the server is shared: a bound, not exact)
    succeeded: int
    failed: int
    drain_s: float  # starting the poller -> PostgreSQL shows every delivery settled (or the cap)
    capped: bool
    first_after_s: float  # starting the poller -> first request at the receiver
    last_after_s: float  # starting the poller -> last request at the receiver
    received: int
    first_tenth_per_s: float  # receiver requests/s over the first tenth of them
    last_tenth_per_s: float  # ... and over the last tenth

    @property
    def per_s(self) -> float:
        return self.succeeded / self.drain_s if self.drain_s > 0 else 0.0

    @property
    def receiver_per_s(self) -> float:
        """From the first request at the receiver to the last (the poller's start-up left out)."""
        span = self.last_after_s - self.first_after_s
        return (self.received - 1) / span if span > 0 else 0.0


def insert_deliveries_in_bulk(count: int, payment: dict[str, Any]) -> list[FollowUp]:
    """The rows ``deliveries.insert_deliveries`` writes through ``events.record`` (``count``
    payment.created events, one delivery per subscribed endpoint), but ``ROWS_PER_STATEMENT`` rows per
    INSERT instead of two statements per event; committed, not queued."""
    merchant = seed.MERCHANT_ID
    with db.autocommit() as tx:
        tx.execute(
            "SELECT id FROM webhook_endpoints WHERE merchant_id = %s AND NOT livemode AND enabled "
            "AND deleted_at IS NULL AND (events IS NULL OR %s = ANY(events))",
            (merchant, EVENT_TYPE),
        )
        endpoint_ids = [str(row["id"]) for row in tx.fetchall()]
    jobs: list[FollowUp] = []
    for first in range(0, count, ROWS_PER_STATEMENT):
        event_rows: list[tuple[Any, ...]] = []
        delivery_rows: list[tuple[Any, ...]] = []
        for i in range(first, min(count, first + ROWS_PER_STATEMENT)):
            event_id = ids.new("evt")
            data = {"payment": {**payment, "id": f"pay_bench{i:08d}"}}
            doc = {"id": event_id, "event": EVENT_TYPE, "livemode": False, "timestamp": int(time.time()), "data": data}
            event_rows.append((event_id, merchant, False, EVENT_TYPE, dumps(doc), events.object_id(data)))
            for endpoint_id in endpoint_ids:
                delivery_id = ids.new("whd")
                delivery_rows.append((delivery_id, merchant, event_id, endpoint_id, EVENT_TYPE, False))
                # The slots events.record names, so each job takes its endpoint's slots as a real one does.
                jobs.append(FollowUp(DELIVER_WEBHOOK, delivery_id, slots=f"{endpoint_id}:{merchant}"))
        with db.transaction() as tx:
            psycopg2.extras.execute_values(
                tx,
                "INSERT INTO events (id, merchant_id, livemode, type, body, object_id) VALUES %s",
                event_rows,
                page_size=len(event_rows),
            )
            psycopg2.extras.execute_values(
                tx,
                "INSERT INTO webhook_deliveries (id, merchant_id, event_id, endpoint_id, event_type, livemode, "
                "next_retry_at) VALUES %s",
                delivery_rows,
                template="(%s, %s, %s, %s, %s, %s, now())",
                page_size=max(1, len(delivery_rows)),
            )
    return jobs


def _settled_deliveries() -> tuple[int, int]:
    """(succeeded, failed) deliveries."""
    with db.autocommit() as tx:
        tx.execute(
            "SELECT count(*) FILTER (WHERE status = 'success') AS ok, count(*) FILTER (WHERE status = 'failed') AS bad "
            "FROM webhook_deliveries"
        )
        row = tx.fetchone()
    return (int(row["ok"]), int(row["bad"])) if row else (0, 0)


def _used_memory(stack: Stack) -> int:
    return int(stack.queue.redis.info("memory")["used_memory"])


def _rate(times: list[float]) -> float:
    span = times[-1] - times[0] if times else 0.0
    return (len(times) - 1) / span if span > 0 else 0.0


def backlog(
    stack: Stack, receiver: Receiver, count: int, payment: dict[str, Any], cap_s: float, stop: threading.Event
) -> BacklogResult:
    """With no poller running, write ``count`` deliveries to the endpoints subscribed to
    payment.created and queue their jobs; then start one poller and time it draining them all, for
    at most ``cap_s``. Leaves the poller running."""
    t0 = time.perf_counter()
    jobs = insert_deliveries_in_bulk(count, payment)
    insert_s = time.perf_counter() - t0
    if not jobs:
        raise RuntimeError(f"no endpoint is subscribed to {EVENT_TYPE}")
    before = _used_memory(stack)
    for first in range(0, len(jobs), ROWS_PER_STATEMENT):
        stack.queue.enqueue(jobs[first : first + ROWS_PER_STATEMENT])
    bytes_per_job = (_used_memory(stack) - before) / len(jobs)

    receiver.drain()
    started_at = time.time()  # the receiver stamps requests with time.time()
    deadline = time.monotonic() + cap_s
    stack.start_poller()
    hits: list[float] = []
    succeeded = failed = 0
    checked_at = 0.0
    while not stop.is_set():
        hits += [hit.received_at for hit in receiver.drain()]
        now = time.monotonic()
        if len(hits) >= len(jobs) or now - checked_at >= STATUS_EVERY_S or now > deadline:
            succeeded, failed = _settled_deliveries()
            checked_at = now
            if succeeded + failed >= len(jobs) or now > deadline:
                break
        time.sleep(0.2)
    drain_s = time.time() - started_at
    time.sleep(0.1)
    hits = sorted(hits + [hit.received_at for hit in receiver.drain()])
    tenth = max(2, len(hits) // 10)
    return BacklogResult(
        count=len(jobs),
        insert_s=insert_s,
        bytes_per_job=bytes_per_job,
        succeeded=succeeded,
        failed=failed,
        drain_s=drain_s,
        capped=succeeded + failed < len(jobs),
        first_after_s=hits[0] - started_at if hits else float("nan"),
        last_after_s=hits[-1] - started_at if hits else float("nan"),
        received=len(hits),
        first_tenth_per_s=_rate(hits[:tenth]),
        last_tenth_per_s=_rate(hits[-tenth:]),
    )


# Memory over many payments ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RssSample:
    payments: int  # settled, with their payment.success received, when sampled
    api_arbiter_mb: float
    api_worker_pids: tuple[int, ...]
    api_workers_mb: tuple[float, ...]
    poller_mb: float

    def parts(self) -> dict[str, float]:
        """MB by process group; each worker's RSS counts the pages it still shares with the arbiter."""
        return {
            "API arbiter": self.api_arbiter_mb,
            "API workers": sum(self.api_workers_mb),
            "poller": self.poller_mb,
        }


@dataclass(frozen=True, slots=True)
class MemoryResult:
    payments: int  # created (201)
    rejected: int  # creates answered otherwise
    settled: int
    delivered: int  # payments whose payment.success reached the receiver
    seconds: float
    capped: bool
    samples: tuple[RssSample, ...]

    @property
    def warm(self) -> RssSample:
        """The first sample after warm-up (after the first round), if there are later ones."""
        return self.samples[1] if len(self.samples) > 2 else self.samples[0]

    def growth(self) -> dict[str, tuple[float, float]]:
        """(MB, fraction) each process group grew from ``warm`` to the last sample."""
        first, last = self.warm.parts(), self.samples[-1].parts()
        return {name: (last[name] - mb, (last[name] - mb) / mb if mb else 0.0) for name, mb in first.items()}

    @property
    def workers_replaced(self) -> bool:
        """A worker restarted between samples: its RSS started over, hiding any growth."""
        return len({s.api_worker_pids for s in self.samples}) > 1


def _rss_mb(pid: int) -> float:
    """VmRSS of a process in MB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _rss_sample(stack: Stack, payments: int) -> RssSample:
    if not stack.api_pid or not stack.poller_pid:
        raise RuntimeError("the API and the poller must be running")
    workers = tuple(sorted(pid for pid in descendants(stack.api_pid) if pid != stack.api_pid))
    return RssSample(
        payments=payments,
        api_arbiter_mb=_rss_mb(stack.api_pid),
        api_worker_pids=workers,
        api_workers_mb=tuple(_rss_mb(pid) for pid in workers),
        poller_mb=_rss_mb(stack.poller_pid),
    )


def _settled_payments() -> int:
    with db.autocommit() as tx:
        tx.execute("SELECT count(*) AS n FROM payments WHERE status <> 'pending'")
        row = tx.fetchone()
    return int(row["n"]) if row else 0


def memory(stack: Stack, receiver: Receiver, payments: int, cap_s: float, stop: threading.Event) -> MemoryResult:
    """Create ``payments`` through the API in ``ROUNDS`` rounds; sample RSS before the first and
    after each, once every payment so far has settled and its payment.success has arrived. Gives up
    waiting after ``cap_s`` in all. Needs the API, one poller and an endpoint for payment.success."""
    receiver.drain()
    samples = [_rss_sample(stack, 0)]
    created: set[str] = set()
    delivered: set[str] = set()
    rejected = settled = 0
    t0 = time.monotonic()
    capped = False
    per_round = -(-payments // ROUNDS)
    for first in range(0, payments, per_round):
        if capped or stop.is_set():
            break
        sent = load.paced_creates(stack.api_port, CREATES_PER_S, min(per_round, payments - first), CREATE_SENDERS, stop)
        created.update(s.payment_id for s in sent if s.payment_id)
        rejected += sum(1 for s in sent if not s.payment_id)
        while not stop.is_set():
            delivered.update(h.payment_id for h in receiver.drain() if h.event == "payment.success")
            settled = _settled_payments()
            if settled >= len(created) and created <= delivered:
                break
            if time.monotonic() - t0 > cap_s:
                capped = True
                break
            time.sleep(0.2)
        samples.append(_rss_sample(stack, len(created & delivered)))
    return MemoryResult(
        payments=len(created),
        rejected=rejected,
        settled=settled,
        delivered=len(created & delivered),
        seconds=time.monotonic() - t0,
        capped=capped,
        samples=tuple(samples),
    )
