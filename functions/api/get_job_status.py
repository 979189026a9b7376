"""GET /test/jobs/status: queue counts and whether a poller is alive.

With an API key (either kind) the counts are that merchant's work in the key's mode; without one
they are the whole queue's, counts only, outside production (in production the whole queue's volume
is nobody's business but the operator's, who can use ``gateway queue``).
"""

from __future__ import annotations

import redis

from shared import db, queue
from shared.config import settings
from shared.db import job_scope
from shared.errors import FeatureDisabled, Unauthorized, UpstreamUnavailable
from shared.http import Call, Operation, Reply
from shared.models.jobs import JobStatus

OPERATION = Operation(
    "GET",
    "/test/jobs/status",
    "Job queue counts, and whether a poller is alive",
    {200: JobStatus},
    access="optional",
    description="With a key: that merchant's work in the key's mode. Without: the whole queue (not in production).",
)


def handle(call: Call) -> Reply:
    s = settings()
    if not s.job_status_enabled:
        raise FeatureDisabled("The job status endpoint is switched off (JOB_STATUS_ENABLED=false)")
    if not call.merchant_id and s.environment == "production":
        raise Unauthorized("Send your API key in the X-Api-Key header to see your jobs")
    q = queue.default_queue()
    try:
        alive = q.live_pollers(within_s=s.heartbeat_ttl_s)
        if not call.merchant_id:
            return _reply(q.stats(), alive, livemode=None)
        held = q.held_job_ids()
    except redis.RedisError as exc:
        raise UpstreamUnavailable("The job queue is unavailable") from exc
    with db.autocommit() as tx:
        return _reply(job_scope.counts(tx, call.merchant_id, call.livemode, held), alive, livemode=call.livemode)


def _reply(counts: dict[str, int], alive: int, *, livemode: bool | None) -> Reply:
    return Reply(
        200, JobStatus(**counts, worker_status="running" if alive else "stopped", workers=alive, livemode=livemode)
    )
