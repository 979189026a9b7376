"""Phase 4: the Redis job queue alone, with a handler that does nothing.

No PostgreSQL, no HTTP: this is the ceiling the queue and the poller loop put on one poller
process. Two loops run the same number of jobs: the bare claim -> execute -> complete loop on one
thread, and the real ``functions.poller.run`` with its thread pool.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.stats import CpuSample
from functions import poller
from shared.config import settings
from shared.job_types import MONEY
from shared.queue import CrashRetry, FollowUp, Job, Queue, execute

ROOT = Path(__file__).resolve().parent.parent
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
        self.first_at = 0.0
        self._lock = threading.Lock()

    def _complete_batch(self, batch: list[tuple[Job, list[FollowUp]]]) -> None:
        super()._complete_batch(batch)
        with self._lock:
            if self.completed == 0:
                self.first_at = time.perf_counter()
            self.completed += len(batch)
            if self.completed >= self.target and not self.done.is_set():
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
    first_to_last_s: float  # poller.run, from the first completion to the last (the peers' window)

    @property
    def enqueue_per_s(self) -> float:
        return self.jobs / self.enqueue_s

    @property
    def raw_per_s(self) -> float:
        return self.jobs / self.raw_s

    @property
    def poller_per_s(self) -> float:
        return self.poller_completed / self.poller_s

    @property
    def first_to_last_per_s(self) -> float:
        return (self.poller_completed - 1) / self.first_to_last_s if self.first_to_last_s > 0 else 0.0


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
    first_to_last_s = (counting.done_at or time.perf_counter()) - (counting.first_at or t0)
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
        first_to_last_s=first_to_last_s,
    )


PEERS_PYTHON = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "python"
PEERS = ("dramatiq", "celery", "rq")


@dataclass(frozen=True, slots=True)
class PeerResult:
    peer: str
    jobs: int
    completed: int
    seconds: float  # first completion to the last one seen
    per_s: float
    capped: bool
    machine_busy: float | None
    error: str = ""


def run_peer(peer: str, jobs: int, cap_s: float) -> PeerResult:
    """One peer draining ``jobs`` no-op jobs with one worker process (``bench/peers.py``, run in the
    bench-only virtualenv) on the benchmark's Redis database."""
    if not PEERS_PYTHON.exists():
        return PeerResult(peer, jobs, 0, 0.0, 0.0, True, None, f"{PEERS_PYTHON} missing: `make bench` builds it")
    env = {**os.environ, "BENCH_PEER": peer, "BENCH_REDIS_URL": settings().redis_url}
    command = [str(PEERS_PYTHON), "-m", "bench.peers", peer, "--jobs", str(jobs), "--cap", str(cap_s)]
    before = CpuSample.take()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=cap_s + 180, check=False)
    busy = before.busy_until(CpuSample.take())
    try:
        doc = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        return PeerResult(peer, jobs, 0, 0.0, 0.0, True, busy, done.stderr.decode(errors="replace")[-500:])
    return PeerResult(
        peer, jobs, doc["completed"], doc["seconds"], doc["per_s"], doc["capped"], busy, doc["stderr"][-500:]
    )


@dataclass(frozen=True, slots=True)
class GrowthResult:
    jobs: int
    bytes_per_job: float  # Redis used_memory growth per queued job (the server is shared: a bound, not exact)
    drained: int
    drain_s: float

    @property
    def drain_per_s(self) -> float:
        return self.drained / self.drain_s if self.drain_s > 0 else 0.0


def growth(jobs: int) -> GrowthResult:
    """Queue ``jobs`` no-op jobs at once, note what they cost Redis, then time the bare loop draining
    the whole backlog (does the rate hold with a deep queue?)."""
    queue = Queue.from_url(settings().redis_url)
    queue.redis.flushdb()
    before = int(queue.redis.info("memory")["used_memory"])
    fill(queue, jobs, "backlog")
    after = int(queue.redis.info("memory")["used_memory"])
    t0 = time.perf_counter()
    drained = raw_loop(queue, settings().money_concurrency)
    drain_s = time.perf_counter() - t0
    queue.redis.flushdb()
    return GrowthResult(jobs, (after - before) / jobs, drained, drain_s)
