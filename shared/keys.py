"""Every Redis key the gateway uses. All start with ``gw:``; nothing else builds key names."""

from __future__ import annotations

PREFIX = "gw:"
JOBS_DUE = PREFIX + "jobs:due"  # zset: job id -> run-at (ms)
JOBS_LEASED = PREFIX + "jobs:leased"  # zset: job id -> lease expiry (ms)
JOBS_DEAD = PREFIX + "jobs:dead"  # zset: job id -> time it gave up (ms)
JOBS_WAKE = PREFIX + "jobs:wake"  # list: pushed on enqueue so idle pollers wake at once
JOBS_COMPLETED = PREFIX + "stats:jobs_completed"  # counter
POLLERS = PREFIX + "pollers"  # zset: poller id -> last heartbeat (ms)
RECONCILE_LOCK = PREFIX + "lock:reconcile"
JOB_PREFIX = PREFIX + "job:"


def job(job_id: str) -> str:
    return JOB_PREFIX + job_id


def endpoint_slots(endpoint_id: str) -> str:
    """zset: delivery id -> slot expiry (ms), the attempts in flight to one endpoint."""
    return f"{PREFIX}endpoint:{endpoint_id}:slots"
