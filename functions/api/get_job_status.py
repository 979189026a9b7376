"""GET /test/jobs/status: queue counts and whether a poller is alive. Counts only, so no API key."""

from __future__ import annotations

import redis

from shared import queue
from shared.config import settings
from shared.errors import FeatureDisabled, UpstreamUnavailable
from shared.http import Call, Reply


def handle(call: Call) -> Reply:
    if not settings().job_status_enabled:
        raise FeatureDisabled("The job status endpoint is switched off (JOB_STATUS_ENABLED=false)")
    q = queue.default_queue()
    try:
        counts = q.stats()
        alive = q.live_pollers(within_s=settings().heartbeat_ttl_s)
    except redis.RedisError as exc:
        raise UpstreamUnavailable("The job queue is unavailable") from exc
    return Reply(200, {**counts, "worker_status": "running" if alive else "stopped", "workers": alive})
