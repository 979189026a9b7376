"""Webhook slots: how many attempts may be in flight to one endpoint, to one merchant, and in all.

The webhook lane has ``WEBHOOK_CONCURRENCY`` slots (one per thread of a poller). A quarter of them
(at least one) is kept for endpoints that have nothing in flight, so a newly busy endpoint always
gets its first attempt out at once, however slow the others are. Beyond its first slot an endpoint
holds at most ``WEBHOOK_ENDPOINT_CONCURRENCY``, and at most its fair share of the rest: the other
three quarters divided by the endpoints that have deliveries in flight or waiting. A merchant holds
at most the lane divided by the merchants with work. So an endpoint that is slow or down ties up only
its share, and the others keep flowing.

A delivery that finds no room is *parked* in the same script: out of the queue's leases, into the
waiting list of whatever is full, and woken when one of its slots is released, never re-queued on
a timer. A slot is a member of a sorted set scored by its expiry, so a holder that dies frees its
slot by itself; the claim script then wakes parked jobs whose slots expired with nobody left to
release them (``shared.queue._CLAIM``).
"""

from __future__ import annotations

import functools
import time

import redis

from shared import keys
from shared.config import settings
from shared.job_types import WEBHOOKS
from shared.queue import Job, default_queue
from shared.redis_scripts import Script

# KEYS: 1 endpoint slots, 2 merchant slots, 3 lane slots, 4 busy endpoints, 5 busy merchants,
#       6 endpoint waiting, 7 merchant waiting, 8 lane waiting, 9 lane leased, 10 lane parked, 11 job hash.
# ARGV: 1 holder, 2 now ms, 3 ttl ms, 4 endpoint cap, 5 lane capacity, 6 endpoint id, 7 merchant id,
#       8 job id, 9 lease token.
# Returns 1 (slot taken), 0 (parked) or -1 (the lease is no longer ours: another run owns the job).
_ACQUIRE = """
local now, ttl, cap, capacity = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
for i = 1, 5 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
redis.call('ZADD', KEYS[4], now + ttl, ARGV[6])
redis.call('ZADD', KEYS[5], now + ttl, ARGV[7])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
local reserve = math.max(1, math.floor(capacity / 4))
local held_e, held_m = redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])
local held_all = redis.call('ZCARD', KEYS[3])
local limit_e = math.min(cap, math.max(1, math.floor((capacity - reserve) / redis.call('ZCARD', KEYS[4]))))
local limit_m = math.max(1, math.floor(capacity / redis.call('ZCARD', KEYS[5])))
local full, waiting, room
if held_all >= capacity then
  full, waiting, room = KEYS[3], KEYS[8], capacity
elseif held_m >= limit_m then
  full, waiting, room = KEYS[2], KEYS[7], limit_m
elseif held_e >= limit_e then
  full, waiting, room = KEYS[1], KEYS[6], limit_e
elseif held_e > 0 and held_all >= capacity - reserve then
  full, waiting, room = KEYS[1], KEYS[6], held_e
else
  for i = 1, 3 do
    redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
  return 1
end
if redis.call('HGET', KEYS[11], 'lease') ~= ARGV[9] then return -1 end
redis.call('ZREM', KEYS[9], ARGV[8])
redis.call('HDEL', KEYS[11], 'lease')
redis.call('HSET', KEYS[11], 'waits_on', full, 'waits_for', room)
-- Look again when the earliest slot would expire by itself, in case its holder dies unreleased.
redis.call('ZADD', KEYS[10], redis.call('ZRANGE', full, 0, 0, 'WITHSCORES')[2], ARGV[8])
redis.call('RPUSH', waiting, ARGV[8])
redis.call('PEXPIRE', waiting, ttl * 2)
return 0
"""

# KEYS: 1 endpoint slots, 2 merchant slots, 3 lane slots, 4 busy endpoints, 5 busy merchants,
#       6 endpoint waiting, 7 merchant waiting, 8 lane waiting, 9 lane due, 10 lane parked, 11 lane wake.
# ARGV: holder, now ms, endpoint id, merchant id.
# The freed slot wakes the job that has waited longest on each list it counts for (entries no longer
# parked are skipped); any that still find no room park again.
_RELEASE = """
for i = 1, 3 do redis.call('ZREM', KEYS[i], ARGV[1]) end
local woke = false
for i = 6, 8 do
  local id = redis.call('LPOP', KEYS[i])
  while id do
    if redis.call('ZREM', KEYS[10], id) == 1 then
      redis.call('ZADD', KEYS[9], ARGV[2], id)
      woke = true
      break
    end
    id = redis.call('LPOP', KEYS[i])
  end
end
if woke then
  redis.call('LPUSH', KEYS[11], '1')
  redis.call('LTRIM', KEYS[11], 0, 63)
end
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('LLEN', KEYS[6]) == 0 then redis.call('ZREM', KEYS[4], ARGV[3]) end
if redis.call('ZCARD', KEYS[2]) == 0 and redis.call('LLEN', KEYS[7]) == 0 then redis.call('ZREM', KEYS[5], ARGV[4]) end
"""


class WebhookSlots:
    def __init__(self, client: redis.Redis, endpoint_limit: int, lane_capacity: int, ttl_s: float) -> None:
        self.redis = client
        self.endpoint_limit = endpoint_limit
        self.lane_capacity = lane_capacity
        self.ttl_ms = int(ttl_s * 1000)
        self._acquire = Script(client, _ACQUIRE)
        self._release = Script(client, _RELEASE)

    def acquire_or_park(self, job: Job, endpoint_id: str, merchant_id: str) -> bool:
        """Take a slot for the job's delivery (True), or park the job until one frees (False).

        False also when the job's lease has passed to another run, which then owns the delivery.
        """
        taken = self._acquire(
            keys=[
                *self._keys(endpoint_id, merchant_id),
                keys.lane_leased(WEBHOOKS),
                keys.lane_parked(WEBHOOKS),
                keys.job(job.id),
            ],
            args=[
                job.ref_id,
                _now_ms(),
                self.ttl_ms,
                self.endpoint_limit,
                self.lane_capacity,
                endpoint_id,
                merchant_id,
                job.id,
                job.lease,
            ],
        )
        return int(taken) == 1

    def release(self, job: Job, endpoint_id: str, merchant_id: str) -> None:
        self._release(
            keys=[
                *self._keys(endpoint_id, merchant_id),
                keys.lane_due(WEBHOOKS),
                keys.lane_parked(WEBHOOKS),
                keys.lane_wake(WEBHOOKS),
            ],
            args=[job.ref_id, _now_ms(), endpoint_id, merchant_id],
        )

    @staticmethod
    def _keys(endpoint_id: str, merchant_id: str) -> list[str]:
        return [
            keys.endpoint_slots(endpoint_id),
            keys.merchant_slots(merchant_id),
            keys.WEBHOOK_SLOTS,
            keys.BUSY_ENDPOINTS,
            keys.BUSY_MERCHANTS,
            keys.endpoint_waiting(endpoint_id),
            keys.merchant_waiting(merchant_id),
            keys.WEBHOOKS_WAITING,
        ]


def _now_ms() -> int:
    return int(time.time() * 1000)


@functools.cache
def default_slots() -> WebhookSlots:
    s = settings()
    # A slot outlives the longest possible attempt, then frees itself.
    return WebhookSlots(
        default_queue().redis, s.webhook_endpoint_concurrency, s.webhook_concurrency, s.webhook_timeout_s + 5
    )
