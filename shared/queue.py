"""The Redis job queue: leased, delayed, retried with exponential backoff, at least once.

A job is a wake-up call for one row in PostgreSQL (``type`` + ``ref_id``); PostgreSQL holds the
state and every handler re-reads it, so a job that runs twice is harmless. A job's id is
``type:ref_id``, so the same piece of work is never queued twice (reconciliation relies on this).

Each job type belongs to a lane (``shared.job_types``); each lane has its own keys
(``shared.keys``): ``gw:jobs:{lane}:due`` zset by run-at ms, ``…:leased`` zset by lease expiry ms,
``…:parked`` zset of jobs waiting for a webhook slot (``shared.slots``), and ``…:wake``, a list
pushed on every enqueue so blocked pollers wake at once. ``gw:job:{id}`` is the job's hash and
``gw:jobs:dead`` holds the jobs that gave up, until a person retries them.

Two kinds of retry, not to be confused: ``CrashRetry`` here re-runs a job whose handler *raised*
(a bug, PostgreSQL down) a few times with backoff, then the job is dead; the webhook delivery
schedule (``WEBHOOK_RETRY_INTERVALS``, ``shared.webhooks.after_attempt``) spaces out attempts that
*reached* a receiver and failed, over about three days, and is kept in PostgreSQL.
"""

from __future__ import annotations

import functools
import logging
import random
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from shared import keys, log
from shared.config import settings
from shared.errors import GatewayError, UpstreamUnavailable
from shared.job_types import LANES, lane_of
from shared.redis_scripts import Script

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    type: str
    ref_id: str
    attempt: int  # 1 on the first run
    lease: str = ""
    slots: str = ""  # as FollowUp.slots


@dataclass(frozen=True, slots=True)
class FollowUp:
    type: str
    ref_id: str
    delay_s: float = 0.0
    # The webhook slots the job needs ("endpoint_id:merchant_id"), when known as it is queued: the
    # job can then take them, or park, before it reads PostgreSQL (shared.slots).
    slots: str = ""


@dataclass(frozen=True, slots=True)
class CrashRetry:
    """How often a job whose handler raised is run again before it is dead (not the webhook schedule)."""

    max_attempts: int
    first_delay_s: float
    max_delay_s: float

    def backoff_s(self, attempt: int) -> float:
        delay = min(self.max_delay_s, self.first_delay_s * 2.0 ** (attempt - 1))
        # Jitter, so an outage's backlog does not retry in lockstep.
        return delay * random.uniform(0.5, 1.0)


class JobHandler(Protocol):
    CRASH_RETRY: CrashRetry

    def run(self, job: Job) -> list[FollowUp]: ...

    def give_up(self, job: Job, reason: str) -> None:
        """Show on the job's row that it is dead, so the person looking at it knows."""


class JobParked(Exception):
    """Raised by a handler whose job was parked (``shared.slots``): there is nothing to settle."""


def job_id(job_type: str, ref_id: str) -> str:
    return f"{job_type}:{ref_id}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _lane_index(job_type: str) -> int:
    return LANES.index(lane_of(job_type)) + 1


def _lane_keys(lane: str) -> list[str]:
    return [keys.lane_due(lane), keys.lane_leased(lane), keys.lane_parked(lane), keys.lane_wake(lane)]


# Four keys per lane, in LANES order (due, leased, parked, wake), then dead and the completed counter.
_ALL_KEYS = [k for lane in LANES for k in _lane_keys(lane)] + [keys.JOBS_DEAD, keys.JOBS_COMPLETED]

# Shared by enqueue and complete: `enqueue(prefix, only_if_absent, first, last)` queues the items in
# ARGV[first..last] (id, type, ref_id, run_at_ms, lane, slots; repeated) and `wake()` wakes the lanes
# that were given work. A job already due keeps the earlier of its two times (ZADD LT). With
# only_if_absent (reconciliation) a job that is due, running, parked or dead is left alone:
# reconciliation fills in lost work, it never reschedules work and never revives a job that gave up.
_ENQUEUE_FUNCTIONS = """
local dead_k = KEYS[#KEYS - 1]
local woken = {}
local function enqueue(prefix, only_if_absent, first, last)
  local added = 0
  for i = first, last, 6 do
    local id, typ, ref, at, lane = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
    local b = (lane - 1) * 4
    local due = redis.call('ZSCORE', KEYS[b + 1], id)
    local running = redis.call('ZSCORE', KEYS[b + 2], id)
    local waiting = redis.call('ZSCORE', KEYS[b + 3], id) or redis.call('ZSCORE', dead_k, id)
    if not (only_if_absent and (due or running or waiting)) then
      if not due and not running then
        redis.call('HSET', prefix .. id, 'type', typ, 'ref_id', ref, 'lane', lane, 'attempts', 0, 'slots', ARGV[i + 5])
      end
      redis.call('ZADD', KEYS[b + 1], 'LT', at, id)
      redis.call('ZREM', KEYS[b + 3], id)
      redis.call('ZREM', dead_k, id)
      woken[lane] = true
      added = added + 1
    end
  end
  return added
end
local function wake()
  for lane in pairs(woken) do
    local wake_k = KEYS[(lane - 1) * 4 + 4]
    redis.call('LPUSH', wake_k, '1')
    redis.call('LTRIM', wake_k, 0, 63)
  end
end
"""

_ENQUEUE = (
    _ENQUEUE_FUNCTIONS
    + """
local added = enqueue(ARGV[1], ARGV[2] == '1', 3, #ARGV)
wake()
return added
"""
)

# KEYS: _ALL_KEYS. ARGV: prefix, now, then per job: id, lease token, number of follow-ups, follow-ups.
# Acknowledging and enqueueing follow-ups in one script leaves no moment where a crash loses them.
_COMPLETE = (
    _ENQUEUE_FUNCTIONS
    + """
local prefix, now = ARGV[1], tonumber(ARGV[2])
local i, added = 3, 0
while i <= #ARGV do
  local id, token, follow_ups = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local h = prefix .. id
  if redis.call('HGET', h, 'lease') == token then
    local b = (tonumber(redis.call('HGET', h, 'lane')) - 1) * 4
    redis.call('ZREM', KEYS[b + 2], id)
    redis.call('INCR', KEYS[#KEYS])
    if redis.call('ZSCORE', KEYS[b + 1], id) then
      -- Queued again while it ran (a manual retry, say): run it as a fresh job now.
      redis.call('ZADD', KEYS[b + 1], 'XX', 'LT', now, id)
      redis.call('HSET', h, 'attempts', 0)
      redis.call('HDEL', h, 'lease')
    else
      redis.call('DEL', h)
    end
  end
  added = added + enqueue(prefix, false, i + 3, i + 2 + follow_ups * 6)
  i = i + 3 + follow_ups * 6
end
wake()
return added
"""
)

# KEYS: the lane's due and leased, dead. ARGV: prefix, job id, lease token, retry_at ('' = give up), error, now.
_FAIL = """
local h = ARGV[1] .. ARGV[2]
if redis.call('HGET', h, 'lease') ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HSET', h, 'last_error', ARGV[5])
redis.call('HDEL', h, 'lease')
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[2])
else
  redis.call('ZADD', KEYS[1], 'LT', ARGV[4], ARGV[2])
end
return 1
"""

# KEYS: the lane's due and leased. ARGV: prefix, job id, lease token, now.
# A claimed job that never started goes back to due as it was, its claim not counted as a run.
_RELEASE = """
local h = ARGV[1] .. ARGV[2]
if redis.call('HGET', h, 'lease') ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], 'LT', ARGV[4], ARGV[2])
redis.call('HINCRBY', h, 'attempts', -1)
redis.call('HDEL', h, 'lease')
return 1
"""

# KEYS: the lane's due, leased and parked. ARGV: prefix, now, lease_ms, limit, token.
# Expired leases (their poller died or stalled) go back to due first. A parked job whose look-again
# time has come (the slot holders it waited for died without waking it) goes back to due if its
# slots have room, else waits until the earliest of them expires. A due job whose previous run
# still holds a lease waits until that lease ends, so one job never runs twice at once.
_CLAIM = """
local prefix, now, lease_ms, limit, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], 'LT', now, id)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)) do
  local waits = redis.call('HMGET', prefix .. id, 'waits_on', 'waits_for')
  local held = 0
  if waits[1] then
    redis.call('ZREMRANGEBYSCORE', waits[1], '-inf', now)
    held = redis.call('ZCARD', waits[1])
  end
  if held < tonumber(waits[2] or 1) then
    redis.call('ZREM', KEYS[3], id)
    redis.call('ZADD', KEYS[1], 'LT', now, id)
  else
    redis.call('ZADD', KEYS[3], redis.call('ZRANGE', waits[1], 0, 0, 'WITHSCORES')[2], id)
  end
end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)) do
  local lease_end = redis.call('ZSCORE', KEYS[2], id)
  if lease_end then
    redis.call('ZADD', KEYS[1], lease_end, id)
  else
    redis.call('ZREM', KEYS[1], id)
    local h = prefix .. id
    local fields = redis.call('HMGET', h, 'type', 'ref_id', 'slots')
    if fields[1] then
      redis.call('ZADD', KEYS[2], now + lease_ms, id)
      local attempts = redis.call('HINCRBY', h, 'attempts', 1)
      redis.call('HSET', h, 'lease', token .. ':' .. attempts)
      table.insert(out, {id, fields[1], fields[2], attempts, token .. ':' .. attempts, fields[3] or ''})
    end
  end
end
return out
"""


class Queue:
    """Redis operations on jobs. Safe to share between threads (redis-py pools its connections)."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        # Completions waiting for the next group commit (see ``complete``).
        self._acks: list[tuple[Job, list[FollowUp]]] = []
        self._acks_lock = threading.Lock()
        self._acking = False
        self._enqueue = Script(client, _ENQUEUE)
        self._complete = Script(client, _COMPLETE)
        self._fail = Script(client, _FAIL)
        self._release = Script(client, _RELEASE)
        self._claim = Script(client, _CLAIM)

    @classmethod
    def from_url(cls, url: str) -> Queue:
        return cls(redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30))

    def enqueue(self, items: Iterable[FollowUp], *, only_if_absent: bool = False) -> int:
        """Queue each item after its delay; return how many were queued or moved earlier.

        A dead job named here is revived (a person asked for it); with ``only_if_absent`` it is not.

        Raises:
            UpstreamUnavailable: Redis cannot be reached (callers that already committed to
            PostgreSQL log and carry on: reconciliation will queue the work).
        """
        args = _item_args(items)
        if not args:
            return 0
        try:
            return int(self._enqueue(keys=_ALL_KEYS, args=[keys.JOB_PREFIX, "1" if only_if_absent else "0", *args]))
        except redis.RedisError as exc:
            raise UpstreamUnavailable("The job queue is unavailable") from exc

    def claim(self, lane: str, limit: int, lease_s: float) -> list[Job]:
        token = secrets.token_hex(8)
        rows = self._claim(
            keys=_lane_keys(lane)[:3], args=[keys.JOB_PREFIX, _now_ms(), int(lease_s * 1000), limit, token]
        )
        return [
            Job(id=_s(r[0]), type=_s(r[1]), ref_id=_s(r[2]), attempt=int(r[3]), lease=_s(r[4]), slots=_s(r[5]))
            for r in rows
        ]

    def complete(self, job: Job, follow_ups: Iterable[FollowUp] = ()) -> None:
        """Acknowledge the job and queue its follow-ups, in one step.

        Completions from concurrent threads go to Redis together (a group commit): the thread that
        finds no call in flight sends everything waiting, and what arrives meanwhile in the next call;
        the others return at once, their jobs leased until their call lands. Under load one call
        settles many jobs; alone, a completion is sent at once. If the call fails, the sending thread
        raises; the jobs it carried run again when their leases expire (at least once), and those that
        arrived meanwhile go with the next completion or, if none comes, also run again then.
        """
        with self._acks_lock:
            self._acks.append((job, list(follow_ups)))
            if self._acking:
                return
            self._acking = True
        try:
            while True:
                with self._acks_lock:
                    batch, self._acks = self._acks, []
                    if not batch:
                        self._acking = False
                        return
                self._complete_batch(batch)
        except BaseException:
            with self._acks_lock:
                self._acking = False
            raise

    def _complete_batch(self, batch: list[tuple[Job, list[FollowUp]]]) -> None:
        args: list[Any] = [keys.JOB_PREFIX, _now_ms()]
        for job, follow_ups in batch:
            items = _item_args(follow_ups)
            args += [job.id, job.lease, len(items) // _ITEM_FIELDS, *items]
        try:
            self._complete(keys=_ALL_KEYS, args=args)
        except redis.RedisError:
            logger.warning("job.complete_failed", extra={"jobs": [job.id for job, _ in batch]})
            raise

    def fail(self, job: Job, error: str, retry_in_s: float | None) -> None:
        """Retry the job in ``retry_in_s``, or with None move it to the dead jobs."""
        retry_at = "" if retry_in_s is None else str(_now_ms() + int(retry_in_s * 1000))
        lane = lane_of(job.type)
        self._fail(
            keys=[keys.lane_due(lane), keys.lane_leased(lane), keys.JOBS_DEAD],
            args=[keys.JOB_PREFIX, job.id, job.lease, retry_at, error[:500], _now_ms()],
        )

    def release(self, job: Job) -> None:
        """Give back a claimed job that was never started (its poller is stopping): due at once."""
        lane = lane_of(job.type)
        self._release(
            keys=[keys.lane_due(lane), keys.lane_leased(lane)], args=[keys.JOB_PREFIX, job.id, job.lease, _now_ms()]
        )

    def next_due_in_s(self, lane: str) -> float | None:
        """Seconds until the lane's earliest due job (0 if one is due now), or None if nothing is queued."""
        first = self.redis.zrange(keys.lane_due(lane), 0, 0, withscores=True)
        if not first:
            return None
        return max(0.0, (float(first[0][1]) - _now_ms()) / 1000)

    def wait_for_work(self, lane: str, timeout_s: float) -> None:
        """Block until something is enqueued on the lane or the timeout passes."""
        if timeout_s <= 0:
            return
        self.redis.blpop([keys.lane_wake(lane)], timeout=max(0.01, timeout_s))

    def is_queued(self, job_type: str, ref_id: str) -> bool:
        """Whether the job is due, running or parked (not dead)."""
        jid, lane = job_id(job_type, ref_id), lane_of(job_type)
        pipe = self.redis.pipeline(transaction=False)
        for key in _lane_keys(lane)[:3]:
            pipe.zscore(key, jid)
        return any(score is not None for score in pipe.execute())

    def dead_jobs(self, limit: int) -> list[dict[str, str]]:
        """The most recent dead jobs, newest first: id, type, ref_id, attempts, last_error."""
        ids = [_s(i) for i in self.redis.zrevrange(keys.JOBS_DEAD, 0, limit - 1)]
        pipe = self.redis.pipeline(transaction=False)
        for jid in ids:
            pipe.hgetall(keys.job(jid))
        return [
            {"id": jid, **{_s(k): _s(v) for k, v in fields.items()}}
            for jid, fields in zip(ids, pipe.execute(), strict=True)
        ]

    def stats(self) -> dict[str, int]:
        """Job counts: due, running and parked across lanes, completed so far, and dead."""
        pipe = self.redis.pipeline(transaction=False)
        for lane in LANES:
            pipe.zcard(keys.lane_due(lane))
            pipe.zcard(keys.lane_leased(lane))
            pipe.zcard(keys.lane_parked(lane))
        pipe.get(keys.JOBS_COMPLETED)
        pipe.zcard(keys.JOBS_DEAD)
        *per_lane, completed, dead = pipe.execute()
        return {
            "pending": sum(int(n) for n in per_lane[0::3]),
            "processing": sum(int(n) for n in per_lane[1::3]),
            "parked": sum(int(n) for n in per_lane[2::3]),
            "completed": int(completed or 0),
            "failed": int(dead),
        }

    def held_job_ids(self) -> dict[str, list[str]]:
        """The ids of jobs running, parked and dead, by those names. Running jobs are bounded by the
        pollers' threads and dead ones by bugs; parked ones by the webhook backlog."""
        pipe = self.redis.pipeline(transaction=False)
        for lane in LANES:
            pipe.zrange(keys.lane_leased(lane), 0, -1)
        for lane in LANES:
            pipe.zrange(keys.lane_parked(lane), 0, -1)
        pipe.zrange(keys.JOBS_DEAD, 0, -1)
        found = [[_s(i) for i in ids] for ids in pipe.execute()]
        n = len(LANES)
        return {
            "processing": [i for ids in found[:n] for i in ids],
            "parked": [i for ids in found[n : 2 * n] for i in ids],
            "failed": found[-1],
        }

    def heartbeat(self, poller_id: str) -> None:
        self.redis.zadd(keys.POLLERS, {poller_id: _now_ms()})

    def forget_poller(self, poller_id: str) -> None:
        self.redis.zrem(keys.POLLERS, poller_id)

    def live_pollers(self, within_s: float) -> int:
        cutoff = _now_ms() - int(within_s * 1000)
        self.redis.zremrangebyscore(keys.POLLERS, "-inf", f"({cutoff}")
        return int(self.redis.zcard(keys.POLLERS))


_ITEM_FIELDS = 6  # what _item_args gives per item; the Lua loops step by it


def _item_args(items: Iterable[FollowUp]) -> list[Any]:
    now = _now_ms()
    args: list[Any] = []
    for item in items:
        args += [job_id(item.type, item.ref_id), item.type, item.ref_id, now + int(item.delay_s * 1000)]
        args += [_lane_index(item.type), item.slots]
    return args


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def execute(queue: Queue, handler: JobHandler, job: Job) -> None:
    """Run one claimed job and settle it: complete with follow-ups, retry with backoff, or give up.

    A lease can expire under a job that is still running, so every handler must be safe to run twice.
    Never raises: if settling fails too (Redis is down), the lease expires and the job runs again.
    """
    with log.bound(job_id=job.id, job_type=job.type, attempt=job.attempt):
        try:
            _run_and_settle(queue, handler, job)
        except Exception:
            logger.exception("job.settle_failed")


def _run_and_settle(queue: Queue, handler: JobHandler, job: Job) -> None:
    try:
        follow_ups = handler.run(job)
    except JobParked:
        return
    except Exception as exc:
        retryable = exc.retryable if isinstance(exc, GatewayError) else True
        policy = handler.CRASH_RETRY
        if retryable and job.attempt < policy.max_attempts:
            delay = policy.backoff_s(job.attempt)
            logger.warning("job.retrying", extra={"error": repr(exc), "retry_in_s": round(delay, 3)})
            queue.fail(job, repr(exc), delay)
        else:
            logger.error("job.dead", extra={"error": repr(exc)}, exc_info=not isinstance(exc, GatewayError))
            queue.fail(job, repr(exc), None)
            _give_up(handler, job, exc)
        return
    queue.complete(job, follow_ups)


def _give_up(handler: JobHandler, job: Job, exc: Exception) -> None:
    # Our own errors carry a message meant for people; anything else is named, not quoted, so no
    # SQL or internal detail reaches a merchant.
    cause = str(exc) if isinstance(exc, GatewayError) else type(exc).__name__
    reason = f"stopped after {job.attempt} failed runs ({cause}); retry it by hand once the cause is fixed"
    try:
        handler.give_up(job, reason)
    except Exception:
        # PostgreSQL may be what failed: the job is dead in Redis all the same, and listed there.
        logger.exception("job.give_up_not_recorded")


@functools.cache
def default_queue() -> Queue:
    """The process's queue on ``REDIS_URL`` (redis-py's pool is fork- and thread-safe)."""
    return Queue.from_url(settings().redis_url)


def submit(follow_ups: list[FollowUp]) -> None:
    """Queue work whose rows are already committed.

    Never raises: if Redis is down the work is still in PostgreSQL, and reconciliation queues it.
    """
    if not follow_ups:
        return
    try:
        default_queue().enqueue(follow_ups)
    except UpstreamUnavailable:
        logger.warning("job.enqueue_deferred", extra={"jobs": [job_id(f.type, f.ref_id) for f in follow_ups]})
