"""The poller: claims due jobs and runs each on a worker thread, until told to stop.

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
import time
from collections.abc import Callable, Mapping

import redis

from shared import invoker, reconcile
from shared.config import Settings
from shared.errors import GatewayError
from shared.queue import JobHandler, Queue

logger = logging.getLogger(__name__)
# Longest a blocked poller sleeps without looking at the clock; a delayed job runs at most this late.
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
    concurrency = settings.poller_concurrency
    in_flight: set[cf.Future[None]] = set()
    last_beat = last_reconcile = 0.0
    logger.info("poller.started", extra={"poller": poller_id, "concurrency": concurrency})
    with cf.ThreadPoolExecutor(concurrency, thread_name_prefix="job") as pool:
        while not should_stop():
            try:
                now = time.monotonic()
                if now - last_beat >= 1:
                    queue.heartbeat(poller_id)
                    last_beat = now
                if settings.reconcile_interval_s and now - last_reconcile >= settings.reconcile_interval_s:
                    last_reconcile = now
                    reconcile.run(queue, settings, poller_id)
                in_flight = {f for f in in_flight if not f.done()}
                free = concurrency - len(in_flight)
                if free == 0:
                    cf.wait(in_flight, timeout=MAX_SLEEP_S, return_when=cf.FIRST_COMPLETED)
                    continue
                jobs = queue.claim(free, settings.job_lease_s)
                for job in jobs:
                    in_flight.add(pool.submit(invoke, job))
                if len(jobs) < free:
                    due_in = queue.next_due_in_s()
                    queue.wait_for_work(MAX_SLEEP_S if due_in is None else min(due_in, MAX_SLEEP_S))
            except (redis.RedisError, GatewayError) as exc:
                # Redis or PostgreSQL is down: keep trying; nothing is lost while we wait.
                logger.warning("poller.backing_off", extra={"error": repr(exc)})
                time.sleep(1)
            except Exception:
                # A bug in reconciliation, say: a long-running poller logs it and carries on.
                logger.exception("poller.error")
                time.sleep(1)
        logger.info("poller.stopping", extra={"poller": poller_id, "in_flight": len(in_flight)})
    with contextlib.suppress(redis.RedisError):
        queue.forget_poller(poller_id)
