"""Every Redis key the gateway uses. All start with ``gw:``; nothing else builds key names."""

from __future__ import annotations

PREFIX = "gw:"
JOBS_DEAD = PREFIX + "jobs:dead"  # zset: job id -> time it gave up (ms); only a person takes a job out
JOBS_COMPLETED = PREFIX + "stats:jobs_completed"  # counter of jobs whose handler finished
POLLERS = PREFIX + "pollers"  # zset: poller id -> last heartbeat (ms)
RECONCILE_LOCK = PREFIX + "lock:reconcile"
PURGE_LOCK = PREFIX + "lock:purge"  # one retention purge at a time (shared/retention.py)
JOB_PREFIX = PREFIX + "job:"
# Endpoints and merchants with deliveries in flight or parked, for the fair share (zset: id -> expiry ms).
BUSY_ENDPOINTS = PREFIX + "webhooks:busy_endpoints"
BUSY_MERCHANTS = PREFIX + "webhooks:busy_merchants"
WEBHOOK_SLOTS = PREFIX + "webhooks:slots"  # zset: delivery id -> slot expiry (ms), every attempt in flight
WEBHOOKS_WAITING = PREFIX + "webhooks:waiting"  # list: jobs parked because every slot was taken


def job(job_id: str) -> str:
    return JOB_PREFIX + job_id


def lane_due(lane: str) -> str:
    """zset: job id -> run-at (ms)."""
    return f"{PREFIX}jobs:{lane}:due"


def lane_leased(lane: str) -> str:
    """zset: job id -> lease expiry (ms)."""
    return f"{PREFIX}jobs:{lane}:leased"


def lane_parked(lane: str) -> str:
    """zset: job id -> when to look again if no slot release wakes it first (ms)."""
    return f"{PREFIX}jobs:{lane}:parked"


def lane_wake(lane: str) -> str:
    """list: pushed on enqueue so the lane's idle pollers wake at once."""
    return f"{PREFIX}jobs:{lane}:wake"


def endpoint_slots(endpoint_id: str) -> str:
    """zset: delivery id -> slot expiry (ms), the attempts in flight to one endpoint."""
    return f"{PREFIX}endpoint:{endpoint_id}:slots"


def endpoint_waiting(endpoint_id: str) -> str:
    """list: ids of jobs parked until one of the endpoint's slots frees."""
    return f"{PREFIX}endpoint:{endpoint_id}:waiting"


def merchant_slots(merchant_id: str) -> str:
    """zset: delivery id -> slot expiry (ms), the attempts in flight to all of one merchant's endpoints."""
    return f"{PREFIX}merchant:{merchant_id}:slots"


def merchant_waiting(merchant_id: str) -> str:
    """list: ids of jobs parked until one of the merchant's slots frees."""
    return f"{PREFIX}merchant:{merchant_id}:waiting"


# Rate limits (shared/ratelimit.py): each is a hash {tokens, at_ms}, one token bucket, that expires
# once it would be full again. API keys appear only as their keyed hash (auth.hash_api_key).


def secret_key_bucket(key_hash: str) -> str:
    """Requests presenting one key other than a publishable one (a secret key, or a wrong one)."""
    return f"{PREFIX}ratelimit:key:{key_hash}"


def publishable_key_bucket(key_hash: str, client: str) -> str:
    """Requests presenting one publishable key from one client address (or IPv6 /64)."""
    return f"{PREFIX}ratelimit:pk:{key_hash}:{client}"


def client_bucket(client: str) -> str:
    """Requests with no key (the job status, or a key left out) from one client address."""
    return f"{PREFIX}ratelimit:client:{client}"


def auth_failure_bucket(client: str) -> str:
    """Keys from one client address that failed to authenticate."""
    return f"{PREFIX}ratelimit:auth-failures:{client}"


def endpoint_test_events_bucket(merchant_id: str, endpoint_id: str) -> str:
    """Test events sent to one webhook endpoint. The merchant is part of the name because the bucket
    is taken before the endpoint is looked up: a wrong merchant's requests cannot drain it."""
    return f"{PREFIX}ratelimit:test_event:{merchant_id}:{endpoint_id}"
