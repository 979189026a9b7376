"""Peer job queues, each draining the same no-op jobs on the same Redis (issue 12).

Runs in the bench-only virtualenv ``bench/.venv-peers`` (``bench/requirements-peers.txt``), never in
the gateway's: ``bench/.venv-peers/bin/python -m bench.peers dramatiq --jobs 10000``. It empties the
Redis database, enqueues the jobs with the peer's own client, starts one worker process of the
peer, and prints one JSON line: how many jobs completed and the time from the first completion to
the last (the same window the gateway's queue is timed over). The task counts completions in the
worker process and writes a timestamp to Redis only on the first, every ``PROGRESS_EVERY``-th and
the last, so the timing costs the peer almost nothing.

The worker imports this module too (``BENCH_PEER`` says which peer to set up), so the task must be
defined at import time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
PEER = os.environ.get("BENCH_PEER", "")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
JOBS = int(os.environ.get("BENCH_PEER_JOBS", "0"))
FIRST, PROGRESS = "bench:peer:first", "bench:peer:progress"
PROGRESS_EVERY = 500
THREADS = 16

_completed = itertools.count(1)  # next() is atomic under the GIL: safe from the peers' threads
_marks: redis.Redis | None = None


def _done() -> None:
    """Called by each peer's no-op task."""
    global _marks
    n = next(_completed)
    if n == 1 or n % PROGRESS_EVERY == 0 or n == JOBS:
        if _marks is None:
            _marks = redis.Redis.from_url(REDIS_URL)
        now = time.time()
        if n == 1:
            _marks.set(FIRST, now)
        _marks.set(PROGRESS, f"{n} {now}")


def rq_noop() -> None:
    _done()


if PEER == "dramatiq":
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    dramatiq.set_broker(RedisBroker(url=REDIS_URL))

    @dramatiq.actor(max_retries=0)
    def dramatiq_noop() -> None:
        _done()

elif PEER == "celery":
    from celery import Celery

    celery_app = Celery("bench_peers", broker=REDIS_URL)
    celery_app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False, broker_connection_retry=False)

    @celery_app.task(name="bench.noop")
    def celery_noop() -> None:
        _done()


def _enqueue(peer: str, jobs: int) -> None:
    if peer == "dramatiq":
        for _ in range(jobs):
            dramatiq_noop.send()
    elif peer == "celery":
        for _ in range(jobs):
            celery_noop.delay()
    else:
        from rq import Queue

        queue = Queue("bench", connection=redis.Redis.from_url(REDIS_URL))
        for first in range(0, jobs, 1000):
            batch = min(jobs, first + 1000) - first
            queue.enqueue_many([Queue.prepare_data("bench.peers.rq_noop") for _ in range(batch)])


def _worker_command(peer: str) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if peer == "dramatiq":
        return [str(bin_dir / "dramatiq"), "bench.peers", "--processes", "1", "--threads", str(THREADS)]
    if peer == "celery":
        return [
            *(str(bin_dir / "celery"), "-A", "bench.peers:celery_app", "worker", "--pool", "threads"),
            *("--concurrency", str(THREADS), "--loglevel", "WARNING"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        ]
    # SimpleWorker runs jobs in its own process; the default Worker forks per job, and its children's
    # counts would not add up here (it did 17 jobs/s on this machine kind: see shared/reference.md).
    return [str(bin_dir / "rq"), "worker", "--url", REDIS_URL, "-w", "rq.worker.SimpleWorker", "--burst", "-q", "bench"]


def measure(peer: str, jobs: int, cap_s: float) -> dict[str, Any]:
    marks = redis.Redis.from_url(REDIS_URL)
    marks.flushdb()
    t0 = time.perf_counter()
    _enqueue(peer, jobs)
    enqueue_s = time.perf_counter() - t0
    env = {**os.environ, "BENCH_PEER": peer, "BENCH_PEER_JOBS": str(jobs), "BENCH_REDIS_URL": REDIS_URL}
    env["PYTHONPATH"] = str(ROOT)
    worker = subprocess.Popen(
        _worker_command(peer), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + cap_s + 30  # start-up (imports, connections) is not timed
    done, first, last = 0, 0.0, 0.0
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            raw_first, raw_progress = marks.get(FIRST), marks.get(PROGRESS)
            if raw_first is None or raw_progress is None:
                if worker.poll() is not None:
                    break
                continue
            first = float(raw_first)
            count, at = (raw_progress.decode() if isinstance(raw_progress, bytes) else raw_progress).split()
            done, last = int(count), float(at)
            if done >= jobs or time.time() - first > cap_s:
                break
    finally:
        worker.terminate()
        try:
            _, err = worker.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, err = worker.communicate()
        marks.flushdb()
    span = last - first
    return {
        "peer": peer,
        "jobs": jobs,
        "completed": done,
        "seconds": span,
        "per_s": (done - 1) / span if span > 0 and done > 1 else 0.0,
        "enqueue_s": enqueue_s,
        "capped": done < jobs,
        "stderr": err.decode(errors="replace")[-2000:] if done == 0 else "",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers")
    p.add_argument("peer", choices=["dramatiq", "celery", "rq"])
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--cap", type=float, default=20.0, help="stop timing this many s after the first completion")
    args = p.parse_args(argv)
    if args.peer != PEER:
        p.error(f"run with BENCH_PEER={args.peer} in the environment (the task is defined at import)")
    print(json.dumps(measure(args.peer, args.jobs, args.cap)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
