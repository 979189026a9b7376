"""Phase 5: slow merchants next door. Four endpoints whose receivers take 10 s to answer, one healthy
endpoint on the same merchant subscribed to ``payment.success``, payments created at a steady rate.

What it measures is what the slow endpoints cost everyone else: how long after the last create
every payment has settled (the money lane), and how long the healthy endpoint waits for each
``payment.success`` (the fair share of the webhook lane).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bench import load
from bench.receiver import Receiver
from bench.stack import Stack
from shared import db

SLOW_ANSWER_S = 10.0


@dataclass
class IsolationResult:
    payments: int
    settled: int
    settled_after_last_create_s: float
    healthy_latencies_s: list[float] = field(default_factory=list)
    parked: int = 0
    completed_jobs: int = 0
    slow_requests: int = 0


def _settled_count() -> int:
    with db.autocommit() as tx:
        tx.execute("SELECT count(*) AS n FROM payments WHERE status <> 'pending'")
        row = tx.fetchone()
    return int(row["n"]) if row else 0


def measure(
    stack: Stack, healthy: Receiver, slow: list[Receiver], rate: float, count: int, stop: threading.Event
) -> IsolationResult:
    sent = load.paced_creates(stack.api_port, rate, count, 4, stop)
    created = {s.payment_id: s.sent_at for s in sent if s.payment_id}
    last_create = max((s.sent_at + s.post_s for s in sent), default=time.time())

    settled_at = None
    got: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stop.is_set():
        if settled_at is None and _settled_count() >= len(created):
            settled_at = time.time()
        for hit in healthy.drain():
            if hit.event == "payment.success" and hit.payment_id in created:
                got.setdefault(hit.payment_id, hit.received_at)
        if settled_at is not None and len(got) >= len(created):
            break
        time.sleep(0.02)
    stats = stack.queue.stats()
    return IsolationResult(
        payments=len(created),
        settled=_settled_count(),
        settled_after_last_create_s=(settled_at or time.time()) - last_create,
        healthy_latencies_s=[got[pid] - created[pid] for pid in got],
        parked=stats["parked"],
        completed_jobs=stats["completed"],
        slow_requests=sum(len(r.drain()) for r in slow),
    )
