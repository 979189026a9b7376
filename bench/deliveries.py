"""Phase 3: webhook deliveries per second through the real poller to a fast local receiver.

The delivery rows are written first with the gateway's own ``events.record`` (one
``payment.created`` event per payment-shaped body, one endpoint subscribed to it), with the poller
already running and idle. Then their ``deliver_webhook`` jobs are queued in one go, and we time
until PostgreSQL shows every delivery settled. Only delivery jobs run in that window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.receiver import Receiver
from bench.stack import Stack
from shared import db, events, seed
from shared.queue import FollowUp

BATCH = 500


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    count: int
    succeeded: int
    failed: int
    seconds: float  # queueing the jobs -> PostgreSQL shows the last delivery settled
    received: int
    receiver_span_s: float  # first to last request at the receiver
    first_after_s: float  # queueing the jobs -> first request at the receiver

    @property
    def per_s(self) -> float:
        return self.succeeded / self.seconds if self.seconds > 0 else 0.0

    @property
    def receiver_per_s(self) -> float:
        return (self.received - 1) / self.receiver_span_s if self.receiver_span_s > 0 else 0.0


def _status_counts() -> dict[str, int]:
    with db.transaction() as tx:
        tx.execute("SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in tx.fetchall()}


def insert_deliveries(count: int, payment: dict[str, Any]) -> list[FollowUp]:
    """``count`` events (and one delivery each), committed but not yet queued."""
    jobs: list[FollowUp] = []
    for first in range(0, count, BATCH):
        with db.transaction() as tx:
            for i in range(first, min(count, first + BATCH)):
                data = {"payment": {**payment, "id": f"pay_bench{i:08d}"}}
                jobs += events.record(tx, seed.MERCHANT_ID, "payment.created", data, livemode=False)
    return jobs


def measure(stack: Stack, receiver: Receiver, jobs: list[FollowUp], timeout_s: float = 60) -> DeliveryResult:
    receiver.drain()
    queued_at = time.time()
    t0 = time.perf_counter()
    stack.queue.enqueue(jobs)
    counts: dict[str, int] = {}
    while time.perf_counter() - t0 < timeout_s:
        counts = _status_counts()
        if counts.get("success", 0) + counts.get("failed", 0) >= len(jobs):
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    time.sleep(0.1)
    hits = receiver.drain()
    times = sorted(h.received_at for h in hits)
    return DeliveryResult(
        count=len(jobs),
        succeeded=counts.get("success", 0),
        failed=counts.get("failed", 0),
        seconds=seconds,
        received=len(hits),
        receiver_span_s=(times[-1] - times[0]) if times else 0.0,
        first_after_s=(times[0] - queued_at) if times else float("nan"),
    )
