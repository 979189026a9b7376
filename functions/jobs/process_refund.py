"""Job: settle a pending refund once the (simulated) acquirer has processed it."""

from __future__ import annotations

from shared import acquirer, db, events
from shared.config import settings
from shared.db import refunds
from shared.models.events import EventType
from shared.models.refunds import Refund
from shared.queue import CrashRetry, FollowUp, Job

CRASH_RETRY = CrashRetry(max_attempts=8, first_delay_s=1, max_delay_s=300)


def run(job: Job) -> list[FollowUp]:
    processed = acquirer.refund_succeeds(settings())
    with db.transaction() as tx:
        refund = refunds.settle(tx, job.ref_id, processed, None if processed else "REFUND_FAILED")
        if refund is None:
            return []  # already settled by an earlier run
        event = EventType.REFUND_PROCESSED if processed else EventType.REFUND_FAILED
        return events.record(
            tx, refund["merchant_id"], event, {"refund": Refund.from_row(refund).public()}, livemode=refund["livemode"]
        )


def give_up(job: Job, reason: str) -> None:
    with db.transaction() as tx:
        refunds.set_processing_error(tx, job.ref_id, reason)
