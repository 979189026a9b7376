"""Phase 4: the Redis job queue alone, with a handler that does nothing.

No PostgreSQL, no HTTP: this is the ceiling the queue and the poller loop put on one poller
process. Two loops run the same number of jobs: the bare claim -> execute -> complete loop on one
thread, and the real ``functions.poller.run`` with its thread pool.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from functions import poller
from shared.config import settings
from shared.job_types import MONEY
from shared.queue import CrashRetry, FollowUp, Job, Queue, execute

JOB_TYPE = "bench_noop"  # an unknown type: it runs in the money lane


class NoopHandler:
    CRASH_RETRY = CrashRetry(max_attempts=1, first_delay_s=0, max_delay_s=0)

    def run(self, job: Job) -> list[FollowUp]:
        return []

    def give_up(self, job: Job, reason: str) -> None:
        pass


class CountingQueue(Queue):
    """The real queue, noting when the ``target``-th job has been completed."""

    def __init__(self, client: redis.Redis, target: int) -> None:
        super().__init__(client)
        self.target = target
        self.completed = 0
        self.done = threading.Event()
        self.done_at = 0.0
        self._lock = threading.Lock()

    def complete(self, job: Job, follow_ups: Iterable[FollowUp] = ()) -> None:
        super().complete(job, follow_ups)
        with self._lock:
            self.completed += 1
            if self.completed == self.target:
                self.done_at = time.perf_counter()
                self.done.set()


@dataclass(frozen=True, slots=True)
class QueueResult:
    jobs: int
    enqueue_s: float
    raw_s: float
    raw_claim_limit: int
    poller_s: float
    poller_completed: int
    poller_concurrency: int
    failed: int

    @property
    def enqueue_per_s(self) -> float:
        return self.jobs / self.enqueue_s

    @property
    def raw_per_s(self) -> float:
        return self.jobs / self.raw_s

    @property
    def poller_per_s(self) -> float:
        return self.poller_completed / self.poller_s


def fill(queue: Queue, count: int, prefix: str, batch: int = 1000) -> float:
    t0 = time.perf_counter()
    for first in range(0, count, batch):
        queue.enqueue(FollowUp(JOB_TYPE, f"{prefix}{i}") for i in range(first, min(count, first + batch)))
    return time.perf_counter() - t0


def raw_loop(queue: Queue, claim_limit: int) -> int:
    """Claim, run and complete on this thread until nothing is due; return how many jobs ran."""
    handlers = {JOB_TYPE: NoopHandler()}
    done = 0
    while jobs := queue.claim(MONEY, claim_limit, lease_s=60):
        for job in jobs:
            execute(queue, handlers[job.type], job)
        done += len(jobs)
    return done


def run(jobs: int, stop: threading.Event) -> QueueResult:
    url = settings().redis_url
    queue = Queue.from_url(url)
    queue.redis.flushdb()
    claim_limit = settings().money_concurrency

    enqueue_s = fill(queue, jobs, "raw")
    t0 = time.perf_counter()
    raw_loop(queue, claim_limit)
    raw_s = time.perf_counter() - t0

    counting = CountingQueue(redis.Redis.from_url(url, socket_timeout=10), jobs)
    fill(counting, jobs, "poll")
    # Reconciliation reads PostgreSQL and has nothing to do here: leave it out of the loop.
    poller_settings = dataclasses.replace(settings(), reconcile_interval_s=0.0)
    deadline = time.monotonic() + 120
    t0 = time.perf_counter()
    poller.run(
        {JOB_TYPE: NoopHandler()},
        counting,
        poller_settings,
        should_stop=lambda: counting.done.is_set() or stop.is_set() or time.monotonic() > deadline,
    )
    poller_s = (counting.done_at or time.perf_counter()) - t0
    failed = queue.stats()["failed"]
    queue.redis.flushdb()
    return QueueResult(
        jobs=jobs,
        enqueue_s=enqueue_s,
        raw_s=raw_s,
        raw_claim_limit=claim_limit,
        poller_s=poller_s,
        poller_completed=counting.completed,
        poller_concurrency=poller_settings.money_concurrency,
        failed=failed,
    )
