"""Webhook slots against a real Redis: per-endpoint caps, fair shares, parking and waking."""

from __future__ import annotations

import time

from shared.job_types import WEBHOOKS
from shared.queue import FollowUp, Job, Queue
from shared.slots import WebhookSlots


def _claim(queue: Queue, *delivery_ids: str, lease_s: float = 30) -> list[Job]:
    queue.enqueue([FollowUp("deliver_webhook", d) for d in delivery_ids])
    jobs = queue.claim(WEBHOOKS, 100, lease_s=lease_s)
    assert sorted(j.ref_id for j in jobs) == sorted(delivery_ids)
    return sorted(jobs, key=lambda j: j.ref_id)


def test_delivery_beyond_the_endpoint_cap_is_parked_not_requeued(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=2, lane_capacity=32, ttl_s=15)
    a, b, c = _claim(queue, "whd_a", "whd_b", "whd_c")

    assert slots.acquire_or_park(a, "we_1", "mch_1")
    assert slots.acquire_or_park(b, "we_1", "mch_1")
    assert not slots.acquire_or_park(c, "we_1", "mch_1")

    # Parked: neither due nor running, not counted as done, and nothing to claim however often we ask.
    assert queue.stats() == {"pending": 0, "processing": 2, "parked": 1, "completed": 0, "failed": 0}
    assert queue.claim(WEBHOOKS, 100, lease_s=30) == []
    assert queue.is_queued("deliver_webhook", "whd_c")


def test_a_released_slot_wakes_the_job_that_waited_longest(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=1, lane_capacity=32, ttl_s=15)
    holder, first, second = _claim(queue, "whd_a", "whd_b", "whd_c")
    assert slots.acquire_or_park(holder, "we_1", "mch_1")
    assert not slots.acquire_or_park(first, "we_1", "mch_1")
    assert not slots.acquire_or_park(second, "we_1", "mch_1")

    slots.release(holder, "we_1", "mch_1")

    [woken] = queue.claim(WEBHOOKS, 100, lease_s=30)
    assert woken.ref_id == "whd_b"
    assert slots.acquire_or_park(woken, "we_1", "mch_1")
    assert queue.stats()["parked"] == 1


def test_a_slow_endpoint_holds_only_its_share_and_a_new_endpoint_always_gets_a_slot(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=8, lane_capacity=8, ttl_s=15)
    slow = _claim(queue, *[f"whd_slow{i}" for i in range(10)])
    held = [job for job in slow if slots.acquire_or_park(job, "we_slow", "mch_1")]
    # A quarter of the lane (2 of 8) is kept for endpoints with nothing in flight.
    assert len(held) == 6

    healthy = _claim(queue, *[f"whd_healthy{i}" for i in range(4)])
    assert slots.acquire_or_park(healthy[0], "we_healthy", "mch_1")

    # Two busy endpoints now share the other 6: as the slow one's attempts end, it keeps only 3 ...
    for job in held[:3]:
        slots.release(job, "we_slow", "mch_1")
    woken = queue.claim(WEBHOOKS, 100, lease_s=30)
    assert not any(slots.acquire_or_park(job, "we_slow", "mch_1") for job in woken if "slow" in job.ref_id)
    # ... and the healthy one gets its share.
    assert sum(slots.acquire_or_park(job, "we_healthy", "mch_1") for job in healthy[1:]) == 2


def test_merchants_share_the_lane(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=8, lane_capacity=8, ttl_s=15)
    jobs = _claim(queue, *[f"whd_{i}" for i in range(8)])
    # Merchant 1 spreads its deliveries over many endpoints, one each.
    assert all(slots.acquire_or_park(job, f"we_{i}", "mch_1") for i, job in enumerate(jobs[:4]))
    # A second merchant: the lane is now shared 4 and 4, so merchant 1 may not take a fifth.
    assert slots.acquire_or_park(jobs[4], "we_other", "mch_2")
    assert not slots.acquire_or_park(jobs[5], "we_5", "mch_1")
    assert slots.acquire_or_park(jobs[6], "we_other2", "mch_2")


def test_a_parked_job_is_woken_when_its_slot_holder_died(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=1, lane_capacity=32, ttl_s=0.2)
    holder, waiter = _claim(queue, "whd_a", "whd_b")
    assert slots.acquire_or_park(holder, "we_1", "mch_1")
    assert not slots.acquire_or_park(waiter, "we_1", "mch_1")

    # The holder never releases (its poller was killed); its slot expires on its own.
    assert [j.ref_id for j in queue.claim(WEBHOOKS, 100, lease_s=30)] == []
    time.sleep(0.3)
    [woken] = [j for j in queue.claim(WEBHOOKS, 100, lease_s=30) if j.ref_id == "whd_b"]
    assert slots.acquire_or_park(woken, "we_1", "mch_1")


def test_a_job_whose_lease_moved_on_is_not_parked(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=1, lane_capacity=32, ttl_s=15)
    holder, stale = _claim(queue, "whd_a", "whd_b", lease_s=0.05)
    assert slots.acquire_or_park(holder, "we_1", "mch_1")
    time.sleep(0.1)
    [current] = [j for j in queue.claim(WEBHOOKS, 100, lease_s=30) if j.ref_id == "whd_b"]

    assert not slots.acquire_or_park(stale, "we_1", "mch_1")
    assert queue.stats()["parked"] == 0 and current.attempt == 2


def test_manual_retry_of_a_parked_job_makes_it_due(queue: Queue) -> None:
    slots = WebhookSlots(queue.redis, endpoint_limit=1, lane_capacity=32, ttl_s=15)
    holder, waiter = _claim(queue, "whd_a", "whd_b")
    assert slots.acquire_or_park(holder, "we_1", "mch_1")
    assert not slots.acquire_or_park(waiter, "we_1", "mch_1")

    # Reconciliation leaves a parked job alone; a person's retry makes it due now.
    assert queue.enqueue([FollowUp("deliver_webhook", "whd_b")], only_if_absent=True) == 0
    queue.enqueue([FollowUp("deliver_webhook", "whd_b")])

    assert [j.ref_id for j in queue.claim(WEBHOOKS, 100, lease_s=30)] == ["whd_b"]
    assert queue.stats()["parked"] == 0
