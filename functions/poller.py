"""The poller: claims due jobs and runs them on worker threads, one lane at a time, until told to stop.

Each lane (``shared.job_types``: money, webhooks) has its own claim loop and its own threads
(``MONEY_CONCURRENCY``, ``WEBHOOK_CONCURRENCY``), so however many deliveries are waiting on slow
receivers, payments and refunds are claimed as soon as they are due.

Locally it runs for ever (``make poller`` or ``make up``); deployed, the scheduled function runs
it until shortly before the Lambda time limit. Several pollers can run at once: claiming is atomic
and a job holds a lease while it runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping

import redis

from shared import invoker, reconcile, retention
from shared.config import Settings
from shared.errors import GatewayError
from shared.job_types import MONEY, WEBHOOKS
from shared.queue import Job, JobHandler, Queue

logger = logging.getLogger(__name__)
# Longest a blocked loop sleeps without looking at the clock; a delayed job runs at most this late.
MAX_SLEEP_S = 0.5


def run(
    handlers: Mapping[str, JobHandler],
    queue: Queue,
    settings: Settings,
    should_stop: Callable[[], bool],
    invoke: invoker.Invoker | None = None,
) -> None:
    """Claim and run jobs until ``should_stop()``; ``invoke`` defaults to running them in-process."""
    invoke = invoke or invoker.in_process(handlers, queue)
    poller_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    lanes = {MONEY: settings.money_concurrency, WEBHOOKS: settings.webhook_concurrency}
    logger.info("poller.started", extra={"poller": poller_id, "lanes": lanes})
    stopping = threading.Event()
    loops = [
        threading.Thread(
            target=_lane_loop,
            args=(lane, threads, queue, settings, stopping, invoke),
            name=f"lane-{lane}",
            daemon=True,
        )
        for lane, threads in lanes.items()
    ]
    for loop in loops:
        loop.start()
    last_beat = last_reconcile = 0.0
    last_purge = -retention.INTERVAL_S  # the first purge runs at once
    while not should_stop() and all(loop.is_alive() for loop in loops):
        try:
            now = time.monotonic()
            if now - last_beat >= 1:
                queue.heartbeat(poller_id)
                last_beat = now
            if settings.reconcile_interval_s and now - last_reconcile >= settings.reconcile_interval_s:
                last_reconcile = now
                reconcile.run(queue, settings, poller_id)
            if settings.event_retention_days and now - last_purge >= retention.INTERVAL_S:
                last_purge = now
                retention.run(queue.redis, settings, poller_id)
        except (redis.RedisError, GatewayError) as exc:
            logger.warning("poller.backing_off", extra={"error": repr(exc)})
        except Exception:
            # A bug in reconciliation, say: a long-running poller logs it and carries on.
            logger.exception("poller.error")
        time.sleep(0.1)
    logger.info("poller.stopping", extra={"poller": poller_id})
    stopping.set()
    for loop in loops:
        loop.join()
    with contextlib.suppress(redis.RedisError):
        queue.forget_poller(poller_id)


def _lane_loop(
    lane: str, threads: int, queue: Queue, settings: Settings, stopping: threading.Event, invoke: invoker.Invoker
) -> None:
    """Claim the lane's due jobs while it has free threads; on stop, let the jobs in flight finish.

    Up to one job per thread is claimed ahead and waits in the pool's queue, and the loop claims again
    only once those have all started: with a backlog, one claim then fetches a thread's worth of jobs
    instead of one per finished job, and no thread waits for a claim. On stop, the jobs claimed ahead
    go back to the queue unstarted, for another poller.
    """
    in_flight: dict[cf.Future[None], Job] = {}
    with cf.ThreadPoolExecutor(threads, thread_name_prefix=f"job-{lane}") as pool:
        while not stopping.is_set():
            try:
                in_flight = {f: job for f, job in in_flight.items() if not f.done()}
                if len(in_flight) > threads:
                    cf.wait(in_flight, timeout=MAX_SLEEP_S, return_when=cf.FIRST_COMPLETED)
                    continue
                wanted = 2 * threads - len(in_flight)
                jobs = queue.claim(lane, wanted, settings.job_lease_s)
                for job in jobs:
                    in_flight[pool.submit(invoke, job)] = job
                if len(jobs) < wanted:
                    due_in = queue.next_due_in_s(lane)
                    queue.wait_for_work(lane, MAX_SLEEP_S if due_in is None else min(due_in, MAX_SLEEP_S))
            except redis.RedisError as exc:
                # Redis is down: keep trying; nothing is lost while we wait.
                logger.warning("poller.backing_off", extra={"lane": lane, "error": repr(exc)})
                stopping.wait(1)
            except Exception:
                logger.exception("poller.error", extra={"lane": lane})
                stopping.wait(1)
        in_flight = {f: job for f, job in in_flight.items() if not f.done()}
        unstarted = [job for f, job in in_flight.items() if f.cancel()]
        with contextlib.suppress(redis.RedisError):  # else their leases expire and they run then
            for job in unstarted:
                queue.release(job)
        logger.info("poller.lane_stopping", extra={"lane": lane, "in_flight": len(in_flight) - len(unstarted)})
