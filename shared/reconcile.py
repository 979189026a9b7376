"""Reconciliation: PostgreSQL is the source of truth, so unfinished work is queued from it.

This covers every way a job can vanish from Redis: Redis restarted or was flushed, or a process
died between committing a row and queueing its job. Queueing only fills gaps (a job already due
or running is left alone), so running it often, or from several pollers, is harmless.
"""

from __future__ import annotations

import logging

from shared import db, idempotency, keys
from shared.config import Settings
from shared.db import payments, refunds, webhook_deliveries
from shared.job_types import DELIVER_WEBHOOK, PROCESS_PAYMENT, PROCESS_REFUND
from shared.queue import FollowUp, Queue

logger = logging.getLogger(__name__)
BATCH = 500


def run(queue: Queue, settings: Settings, owner: str) -> int:
    """Queue unfinished work that no job covers; return how many jobs were queued.

    Only one poller does this per interval (a Redis lock that simply expires).
    """
    lock_ms = max(1, int(settings.reconcile_interval_s * 1000 * 0.9))
    if not queue.redis.set(keys.RECONCILE_LOCK, owner, nx=True, px=lock_ms):
        return 0
    grace = settings.reconcile_grace_s
    with db.transaction() as tx:
        work = (
            [FollowUp(PROCESS_PAYMENT, i) for i in payments.stale_pending_ids(tx, grace, BATCH)]
            + [FollowUp(PROCESS_REFUND, i) for i in refunds.stale_pending_ids(tx, grace, BATCH)]
            + [FollowUp(DELIVER_WEBHOOK, i) for i in webhook_deliveries.overdue_ids(tx, grace, BATCH)]
        )
        purged = idempotency.purge_expired(tx)
    queued = queue.enqueue(work, only_if_absent=True) if work else 0
    if queued or purged:
        logger.info("reconcile.done", extra={"queued": queued, "idempotency_keys_purged": purged})
    return queued
