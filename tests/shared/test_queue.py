"""The Redis queue against a real Redis: lanes, leases, delays, de-duplication, retries, dead jobs."""

from __future__ import annotations

import threading
import time

import pytest

from shared import keys
from shared.errors import NotFound, UpstreamUnavailable
from shared.job_types import MONEY, WEBHOOKS
from shared.queue import CrashRetry, FollowUp, Job, Queue, execute
from tests.conftest import wait_until


class Handler:
    CRASH_RETRY = CrashRetry(max_attempts=3, first_delay_s=0.05, max_delay_s=0.1)

    def __init__(self, *results: object) -> None:
        self.results = list(results)
        self.calls: list[Job] = []
        self.given_up: list[tuple[str, str]] = []

    def run(self, job: Job) -> list[FollowUp]:
        self.calls.append(job)
        result = self.results.pop(0) if self.results else []
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, list)
        return result

    def give_up(self, job: Job, reason: str) -> None:
        self.given_up.append((job.id, reason))


def _work_until(queue: Queue, handler: Handler, state: str, timeout_s: float = 5) -> None:
    """Claim and run jobs, as a poller would, until one job reaches ``state`` (completed or failed)."""
    deadline = time.monotonic() + timeout_s
    while queue.stats()[state] == 0 and time.monotonic() < deadline:
        for job in queue.claim(MONEY, 10, lease_s=30):
            execute(queue, handler, job)
        time.sleep(0.01)


def test_enqueued_job_is_claimed_once(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])

    first = queue.claim(MONEY, 10, lease_s=30)
    second = queue.claim(MONEY, 10, lease_s=30)

    assert [(j.id, j.type, j.ref_id, j.attempt) for j in first] == [
        ("process_payment:pay_1", "process_payment", "pay_1", 1)
    ]
    assert second == []
    assert queue.stats() == {"pending": 0, "processing": 1, "parked": 0, "completed": 0, "failed": 0}


def test_same_work_enqueued_twice_is_one_job(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1"), FollowUp("process_payment", "pay_1")])
    queue.enqueue([FollowUp("process_payment", "pay_1")])

    assert len(queue.claim(MONEY, 10, lease_s=30)) == 1


def test_delayed_job_waits_until_due(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_refund", "rfnd_1", delay_s=2)])

    assert queue.claim(MONEY, 10, lease_s=30) == []
    assert 0 < (queue.next_due_in_s(MONEY) or 0) <= 2
    [job] = wait_until(lambda: queue.claim(MONEY, 10, lease_s=30))
    assert job.ref_id == "rfnd_1"


def test_earlier_enqueue_wins_over_later(queue: Queue) -> None:
    queue.enqueue([FollowUp("deliver_webhook", "whd_1", delay_s=60)])
    queue.enqueue([FollowUp("deliver_webhook", "whd_1", delay_s=0)])

    assert len(queue.claim(WEBHOOKS, 10, lease_s=30)) == 1


def test_expired_lease_returns_job_to_due(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    assert queue.claim(MONEY, 10, lease_s=0.1)

    again = wait_until(lambda: queue.claim(MONEY, 10, lease_s=30))

    assert [j.attempt for j in again] == [2]


def test_stale_lease_holder_cannot_ack_the_new_holders_job(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    [stale] = queue.claim(MONEY, 10, lease_s=0.05)
    [current] = wait_until(lambda: queue.claim(MONEY, 10, lease_s=30))

    queue.complete(stale)

    assert queue.stats()["processing"] == 1
    queue.complete(current)
    assert queue.stats() == {"pending": 0, "processing": 0, "parked": 0, "completed": 1, "failed": 0}


def test_job_enqueued_while_running_waits_then_runs_again(queue: Queue) -> None:
    queue.enqueue([FollowUp("deliver_webhook", "whd_1")])
    [running] = queue.claim(WEBHOOKS, 10, lease_s=30)

    queue.enqueue([FollowUp("deliver_webhook", "whd_1")])  # a manual retry arrives mid-attempt

    assert queue.claim(WEBHOOKS, 10, lease_s=30) == []  # never twice at once
    queue.complete(running)
    [rerun] = queue.claim(WEBHOOKS, 10, lease_s=30)
    assert rerun.id == running.id and rerun.attempt == 1


def test_follow_up_for_same_job_keeps_its_delay(queue: Queue) -> None:
    queue.enqueue([FollowUp("deliver_webhook", "whd_1")])
    [job] = queue.claim(WEBHOOKS, 10, lease_s=30)

    queue.complete(job, [FollowUp("deliver_webhook", "whd_1", delay_s=60)])

    assert queue.claim(WEBHOOKS, 10, lease_s=30) == []
    assert 59 < (queue.next_due_in_s(WEBHOOKS) or 0) <= 60


def test_completed_job_with_follow_ups(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    [job] = queue.claim(MONEY, 10, lease_s=30)

    execute(queue, Handler([FollowUp("deliver_webhook", "whd_1"), FollowUp("deliver_webhook", "whd_2")]), job)

    assert sorted(j.ref_id for j in queue.claim(WEBHOOKS, 10, lease_s=30)) == ["whd_1", "whd_2"]
    assert queue.stats()["completed"] == 1
    assert not queue.redis.exists(keys.job("process_payment:pay_1"))


def test_transient_error_is_retried_with_backoff_then_succeeds(queue: Queue) -> None:
    handler = Handler(UpstreamUnavailable("db down"), UpstreamUnavailable("db down"), [])
    queue.enqueue([FollowUp("process_payment", "pay_1")])

    _work_until(queue, handler, "completed")

    assert [j.attempt for j in handler.calls] == [1, 2, 3]
    assert queue.stats() == {"pending": 0, "processing": 0, "parked": 0, "completed": 1, "failed": 0}


def test_job_gives_up_after_max_attempts(queue: Queue) -> None:
    handler = Handler(*[RuntimeError("bug")] * 5)
    queue.enqueue([FollowUp("process_payment", "pay_1")])

    _work_until(queue, handler, "failed")

    assert len(handler.calls) == Handler.CRASH_RETRY.max_attempts
    assert queue.stats()["failed"] == 1
    assert b"bug" in (queue.redis.hget(keys.job("process_payment:pay_1"), "last_error") or b"")
    # The row is told, without internals: the class of a foreign error, never its text.
    [(dead_id, reason)] = handler.given_up
    assert dead_id == "process_payment:pay_1" and "RuntimeError" in reason and "bug" not in reason
    assert [j["id"] for j in queue.dead_jobs(10)] == ["process_payment:pay_1"]


def test_non_retryable_error_gives_up_at_once(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    [job] = queue.claim(MONEY, 10, lease_s=30)

    execute(queue, Handler(NotFound("gone")), job)

    assert queue.stats()["failed"] == 1


def test_reconciliation_never_revives_a_dead_job_but_a_person_can(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    [job] = queue.claim(MONEY, 10, lease_s=30)
    execute(queue, Handler(NotFound("gone")), job)

    assert queue.enqueue([FollowUp("process_payment", "pay_1")], only_if_absent=True) == 0
    assert queue.stats()["failed"] == 1 and queue.claim(MONEY, 10, lease_s=30) == []

    queue.enqueue([FollowUp("process_payment", "pay_1")])  # a person's retry
    assert queue.stats()["failed"] == 0
    assert [j.attempt for j in queue.claim(MONEY, 10, lease_s=30)] == [1]


def test_only_if_absent_never_reschedules(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_refund", "rfnd_1", delay_s=60)])

    assert queue.enqueue([FollowUp("process_refund", "rfnd_1")], only_if_absent=True) == 0
    assert queue.claim(MONEY, 10, lease_s=30) == []


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = CrashRetry(max_attempts=10, first_delay_s=1, max_delay_s=60)

    assert 0.5 <= policy.backoff_s(1) <= 1
    assert 4 <= policy.backoff_s(4) <= 8
    assert 30 <= policy.backoff_s(10) <= 60


def _waiting(queue: Queue, lane: str) -> threading.Thread:
    """A poller's idle wait on ``lane``, for far longer than any test: only an enqueue can end it soon."""
    waiter = threading.Thread(target=queue.wait_for_work, args=(lane, 600), daemon=True)
    waiter.start()
    return waiter


def test_enqueue_wakes_a_blocked_poller(queue: Queue) -> None:
    waiter = _waiting(queue, MONEY)

    queue.enqueue([FollowUp("process_payment", "pay_1")])

    wait_until(lambda: not waiter.is_alive())


def test_unreachable_redis_raises_upstream_unavailable() -> None:
    dead = Queue.from_url("redis://127.0.0.1:1/15")

    with pytest.raises(UpstreamUnavailable):
        dead.enqueue([FollowUp("process_payment", "pay_1")])
    dead.redis.close()


def test_lanes_are_claimed_apart(queue: Queue) -> None:
    queue.enqueue([FollowUp("deliver_webhook", f"whd_{i}") for i in range(50)] + [FollowUp("process_payment", "pay_1")])

    assert [j.ref_id for j in queue.claim(MONEY, 10, lease_s=30)] == ["pay_1"]
    assert len(queue.claim(WEBHOOKS, 100, lease_s=30)) == 50


def test_enqueue_wakes_only_the_lanes_it_fills(queue: Queue) -> None:
    waiter = _waiting(queue, WEBHOOKS)

    queue.enqueue([FollowUp("deliver_webhook", "whd_1")])

    wait_until(lambda: not waiter.is_alive())
    assert queue.redis.llen(keys.lane_wake(MONEY)) == 0


def test_a_jobs_slots_travel_with_it_through_claims_and_follow_ups(queue: Queue) -> None:
    queue.enqueue([FollowUp("deliver_webhook", "whd_1", slots="we_1:mch_1")])
    [job] = queue.claim(WEBHOOKS, 10, lease_s=30)
    assert job.slots == "we_1:mch_1"

    queue.complete(job, [FollowUp("deliver_webhook", "whd_1", slots="we_1:mch_1")])

    assert [j.slots for j in queue.claim(WEBHOOKS, 10, lease_s=30)] == ["we_1:mch_1"]


def test_completions_from_many_threads_all_land_with_their_follow_ups(queue: Queue) -> None:
    # Threads completing at once share Redis calls (group commit); none may be lost or cross over.
    queue.enqueue([FollowUp("process_payment", f"pay_{i}") for i in range(200)])
    jobs = queue.claim(MONEY, 200, lease_s=30)
    start = threading.Barrier(8)

    def complete(share: list[Job]) -> None:
        start.wait()
        for job in share:
            queue.complete(job, [FollowUp("deliver_webhook", f"whd_{job.ref_id}")])

    threads = [threading.Thread(target=complete, args=(jobs[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # A thread can return before the call carrying its completion lands; the last one sends it.
    wait_until(lambda: queue.stats()["completed"] == 200)
    assert queue.stats()["processing"] == 0
    follow_ups = queue.claim(WEBHOOKS, 500, lease_s=30)
    assert sorted(job.ref_id for job in follow_ups) == sorted(f"whd_pay_{i}" for i in range(200))


def test_a_released_job_is_due_again_as_if_never_claimed(queue: Queue) -> None:
    queue.enqueue([FollowUp("process_payment", "pay_1")])
    [claimed] = queue.claim(MONEY, 10, lease_s=30)

    queue.release(claimed)
    queue.complete(claimed)  # the released claim can no longer settle it

    [again] = queue.claim(MONEY, 10, lease_s=30)
    assert again.id == claimed.id and again.attempt == 1 and again.lease != claimed.lease
    assert queue.stats() == {"pending": 0, "processing": 1, "parked": 0, "completed": 0, "failed": 0}
