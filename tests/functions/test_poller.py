"""The poller's lane loop in-process, against a real Redis: jobs claimed ahead, and a clean stop."""

from __future__ import annotations

import dataclasses
import threading

from functions import poller
from shared.config import settings
from shared.queue import CrashRetry, FollowUp, Job, Queue
from tests.conftest import wait_until


class Blocking:
    """Each run waits until the test lets it finish."""

    CRASH_RETRY = CrashRetry(max_attempts=3, first_delay_s=0.05, max_delay_s=0.1)

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finish = threading.Event()

    def run(self, job: Job) -> list[FollowUp]:
        self.started.append(job.ref_id)
        self.finish.wait(10)
        return []

    def give_up(self, job: Job, reason: str) -> None:
        pass


def test_a_stopping_poller_gives_back_the_jobs_it_claimed_ahead_and_finishes_the_running_one(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", f"pay_{i}") for i in range(5)])
    handler = Blocking()
    one_thread = dataclasses.replace(
        settings(), money_concurrency=1, webhook_concurrency=1, reconcile_interval_s=0.0, event_retention_days=0
    )
    stop = threading.Event()
    run = threading.Thread(target=poller.run, args=({"process_payment": handler}, queue, one_thread, stop.is_set))
    run.start()
    try:
        # One thread: one job running and one claimed ahead, the other three still due.
        wait_until(lambda: queue.stats()["processing"] == 2 and len(handler.started) == 1)
        assert queue.stats()["pending"] == 3

        stop.set()
        # The job claimed ahead is due again at once, unstarted; the running one is left to finish.
        wait_until(lambda: queue.stats()["pending"] == 4)
        assert queue.stats()["processing"] == 1 and len(handler.started) == 1
    finally:
        stop.set()
        handler.finish.set()
        run.join(10)
    assert not run.is_alive()
    assert queue.stats()["completed"] == 1 and queue.stats()["processing"] == 0
