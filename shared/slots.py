"""Per-endpoint concurrency slots, so one slow webhook endpoint cannot take every poller thread.

A slot is a member of a Redis sorted set scored by its expiry: a holder that dies frees its slot
when the expiry passes, with nobody having to clean up.
"""

from __future__ import annotations

import functools
import time

import redis

from shared import keys
from shared.config import settings
from shared.queue import default_queue

# KEYS: slots. ARGV: holder, now_ms, ttl_ms, limit.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""


class EndpointSlots:
    def __init__(self, client: redis.Redis, limit: int, ttl_s: float) -> None:
        self.redis = client
        self.limit = limit
        self.ttl_ms = int(ttl_s * 1000)
        self._acquire = client.register_script(_ACQUIRE)

    def acquire(self, endpoint_id: str, holder: str) -> bool:
        now = int(time.time() * 1000)
        return bool(self._acquire(keys=[keys.endpoint_slots(endpoint_id)], args=[holder, now, self.ttl_ms, self.limit]))

    def release(self, endpoint_id: str, holder: str) -> None:
        self.redis.zrem(keys.endpoint_slots(endpoint_id), holder)


@functools.cache
def default_slots() -> EndpointSlots:
    s = settings()
    # A slot outlives the longest possible attempt, then frees itself.
    return EndpointSlots(default_queue().redis, s.webhook_endpoint_concurrency, s.webhook_timeout_s + 5)
