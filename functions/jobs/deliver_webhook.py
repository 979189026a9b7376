"""Job: make one attempt to deliver an event to an endpoint, then schedule the next if needed.

PostgreSQL decides whether an attempt is due (``next_retry_at``), so a job that wakes early just
goes back to sleep, and one that runs twice sends at most one extra copy (receivers de-duplicate
by ``webhook-id``, which is the event id and the same on every attempt).
"""

from __future__ import annotations

import datetime as dt
import time

from shared import db, endpoint_health, signing, webhooks
from shared.config import settings
from shared.db import webhook_deliveries
from shared.models.webhook_deliveries import AttemptTrigger, DeliveryStatus
from shared.queue import CrashRetry, FollowUp, Job, JobParked
from shared.slots import default_slots

CRASH_RETRY = CrashRetry(max_attempts=8, first_delay_s=1, max_delay_s=300)


def run(job: Job) -> list[FollowUp]:
    slots = default_slots()
    endpoint_id, _, merchant_id = job.slots.partition(":")
    if not endpoint_id:
        return _deliver(job, holds_slots=False)  # queued without its slots (a retry, reconciliation)
    # Take the slot before reading PostgreSQL, so a delivery that has to wait costs no query.
    if not slots.acquire_or_park(job, endpoint_id, merchant_id):
        raise JobParked
    try:
        return _deliver(job, holds_slots=True)
    finally:
        slots.release(job, endpoint_id, merchant_id)


def _deliver(job: Job, *, holds_slots: bool) -> list[FollowUp]:
    """One attempt; the delivery's slots are taken here unless the caller ``holds_slots`` already."""
    with db.autocommit() as tx:
        delivery = webhook_deliveries.find_for_sending(tx, job.ref_id)
        if delivery is None or delivery["status"] != DeliveryStatus.PENDING:
            return []
        now = dt.datetime.now(dt.UTC)
        if delivery["next_retry_at"] is not None and delivery["next_retry_at"] > now:
            return [FollowUp(job.type, job.ref_id, (delivery["next_retry_at"] - now).total_seconds(), job.slots)]
        if not delivery["enabled"] or delivery["deleted_at"] is not None:
            webhook_deliveries.fail_unsendable(tx, delivery["id"], delivery["generation"], "endpoint disabled")
            return []

    # No transaction is open while we wait on the merchant's server.
    trigger = AttemptTrigger.MANUAL if delivery["manual_requested"] else AttemptTrigger.SCHEDULED
    body = delivery["body"].encode()
    secrets_in_use = [delivery["secret"]] + ([delivery["previous_secret"]] if delivery["previous_secret"] else [])
    slots = default_slots()
    if not holds_slots and not slots.acquire_or_park(job, delivery["endpoint_id"], delivery["merchant_id"]):
        # The endpoint or merchant has its share of the lane: this thread goes to someone else, and
        # the job sleeps until one of their attempts finishes.
        raise JobParked
    try:
        attempted_at = dt.datetime.now(dt.UTC)
        headers = signing.headers(secrets_in_use, delivery["event_id"], int(time.time()), body)
        result = webhooks.send(delivery["url"], body, headers, settings())
    finally:
        if not holds_slots:
            slots.release(job, delivery["endpoint_id"], delivery["merchant_id"])
    status, next_retry_at = webhooks.after_attempt(
        result.ok, delivery["scheduled_attempts"], trigger, settings(), dt.datetime.now(dt.UTC)
    )
    with db.autocommit() as tx:  # one statement: the attempt row and the delivery update commit together
        settled = webhook_deliveries.record_attempt(
            tx,
            delivery["id"],
            delivery["generation"],
            trigger=trigger,
            attempted_at=attempted_at,
            response_code=result.response_code,
            duration_ms=result.duration_ms,
            response_body=result.response_body,
            error=result.error,
            status=status.value,
            next_retry_at=next_retry_at,
        )
    notices = endpoint_health.track(delivery, result)
    if settled is None or settled["status"] != DeliveryStatus.PENDING or notices is not None:
        return notices or []
    due = settled["next_retry_at"] or dt.datetime.now(dt.UTC)  # a pending delivery always has one
    wait = (due - dt.datetime.now(dt.UTC)).total_seconds()
    return [FollowUp(job.type, job.ref_id, max(0.0, wait), f"{delivery['endpoint_id']}:{delivery['merchant_id']}")]


def give_up(job: Job, reason: str) -> None:
    with db.autocommit() as tx:
        webhook_deliveries.fail_unsendable(tx, job.ref_id, None, reason)
