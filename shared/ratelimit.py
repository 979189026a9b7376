"""Rate limits: token buckets in Redis, taken by one Lua script, shared by every API process.

A bucket holds up to ``burst`` tokens and refills at ``per_s`` tokens a second. A request takes one
token; a request that finds less than one is refused, with how long until one will be there (the
``Retry-After``). The script refills, takes and stores in one step, so two processes can never both
take the last token, and it reads Redis's clock, so every process and host shares one clock.

Which bucket an API request draws from (``RateLimiter.take_request``):

- a publishable key (``pk_…``): that key *and* the client address. Publishable keys sit in web
  pages, so anyone can use one: per address, one shopper (or one card tester) gets the publishable
  rate and cannot use up the shop's budget for everybody else. IPv6 clients are grouped by /64,
  the block one subscriber usually has to themselves.
- any other key, right or wrong: that key, at the secret rate. Wrong keys are limited before they
  are looked up, so hammering one guessed or revoked key is slowed like any other.
- no key at all (the job status, or a route that needs a key and got none): the client address,
  at the publishable rate.

A fresh made-up key per request would get a fresh bucket every time, so wrong keys are also limited
per client address (``take_request(..., check_auth_failures=True)``, ``note_auth_failure``): each
key that fails to authenticate takes a token from the address's failure bucket (the publishable
rate), and while that bucket is empty every request from the address that carries a key is refused
before its key is looked up, the right key included, or a refusal would tell a guesser which key
was right.

Keys are only ever seen here as their keyed hash (``auth.hash_api_key``): never stored, never logged.

The client address is what our front door saw: API Gateway's ``sourceIp`` when deployed, the
socket's peer under gunicorn (``infra/wsgi.py``). Behind a proxy or load balancer that is the
proxy's address, so all of its clients share one publishable bucket.

When Redis cannot be reached the request goes through (fail open): a rate limit is not worth an
outage. Each failure logs one warning, without a traceback, and Redis is left alone for
``PAUSE_AFTER_FAILURE_S``, so an outage costs neither a timeout nor a log line on every request.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared import keys
from shared.auth import hash_api_key
from shared.config import Settings, settings
from shared.errors import RateLimited
from shared.redis_scripts import Script

logger = logging.getLogger(__name__)

# The longest a request waits for Redis before it goes through unlimited. Loopback or same-zone
# Redis answers in well under a millisecond; this only bounds what a stalled Redis costs.
TIMEOUT_S = 0.5
# After a failure, requests skip Redis this long instead of each paying a timeout and a warning.
PAUSE_AFTER_FAILURE_S = 1.0

# KEYS: the buckets (each a hash: tokens, at_ms), in the order they are checked.
# ARGV: 1 now in ms (empty: Redis's own clock; tests pass one), then for each bucket: tokens per
# second, burst, tokens to take (0 only looks).
# Returns {0, 0} when every bucket had a token (and each was taken), else {i, ms until bucket i will
# have one} for the first bucket i without; the buckets after it are left untouched. Checking a
# request's buckets in one call costs one round trip, however many there are.
# A bucket expires once it would be full again: a missing bucket and a full one are the same.
_TAKE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
for i, key in ipairs(KEYS) do
  local rate, burst, take = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'at_ms')
  local tokens, at = tonumber(state[1]), tonumber(state[2])
  if not tokens or not at then
    tokens, at = burst, now
  end
  if now > at then
    tokens = math.min(burst, tokens + (now - at) * rate / 1000)
    at = now
  end
  local wait = 0
  if tokens >= 1 then
    tokens = tokens - take
  else
    wait = math.ceil((1 - tokens) * 1000 / rate)
  end
  redis.call('HSET', key, 'tokens', tokens, 'at_ms', at)
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) * 1000 / rate) + 1)
  if wait > 0 then
    return {i, wait}
  end
end
return {0, 0}
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """``per_s`` tokens a second, up to ``burst`` at once."""

    per_s: float
    burst: int

    @property
    def is_off(self) -> bool:
        # 0 turns a limit off (so does anything that is not a finite rate: there is nothing to wait for).
        return not (self.per_s > 0 and self.burst > 0 and math.isfinite(self.per_s))


class RateLimiter:
    """Token buckets on one Redis. Safe to share between threads (redis-py pools its connections)."""

    def __init__(self, client: redis.Redis, secret: Limit, publishable: Limit) -> None:
        self.redis = client
        self.secret = secret
        self.publishable = publishable
        self._take = Script(client, _TAKE)
        self._paused_until = 0.0

    @classmethod
    def from_settings(cls, s: Settings) -> RateLimiter:
        # No retries: a request should not wait for a second attempt; the next request is one.
        client = redis.Redis.from_url(
            s.redis_url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        return cls(
            client,
            secret=Limit(s.rate_limit_secret_per_s, s.rate_limit_secret_burst),
            publishable=Limit(s.rate_limit_publishable_per_s, s.rate_limit_publishable_burst),
        )

    def take(self, bucket: str, limit: Limit, *, now_ms: int | None = None, look_only: bool = False) -> int:
        """Take a token from ``bucket``: 0 if one was taken (or Redis is unreachable, or the limit is
        off), else the whole seconds (at least 1) until one will be there. ``look_only`` takes nothing."""
        return self._take_each([(bucket, limit, look_only)], now_ms=now_ms)[1]

    def _take_each(self, buckets: list[tuple[str, Limit, bool]], *, now_ms: int | None = None) -> tuple[int, int]:
        """Take a token from each (bucket, limit, look_only) in order, in one round trip, stopping at
        the first without one: (its index, whole seconds until it will have one), or (-1, 0) when all
        had one (or Redis is unreachable). A bucket whose limit is off is skipped."""
        live = [(i, bucket, limit, look_only) for i, (bucket, limit, look_only) in enumerate(buckets)]
        live = [entry for entry in live if not entry[2].is_off]
        if not live or time.monotonic() < self._paused_until:
            return -1, 0
        args: list[str | int] = ["" if now_ms is None else now_ms]
        for _, _, limit, look_only in live:
            args += [repr(limit.per_s), limit.burst, int(not look_only)]
        try:
            found, wait_ms = (int(x) for x in self._take(keys=[entry[1] for entry in live], args=args))
        except redis.RedisError as exc:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            # The exception's text names the host and the error; a traceback would add nothing.
            logger.warning("ratelimit.unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            return -1, 0
        if found <= 0 or wait_ms <= 0:
            return -1, 0
        return live[found - 1][0], max(1, math.ceil(wait_ms / 1000))

    def take_request(self, api_key: str | None, client_address: str, *, check_auth_failures: bool = False) -> None:
        """Take a token for one API request (see the module docstring for which bucket) and, with
        ``check_auth_failures``, look at the address's failed authentications in the same round trip.

        Raises:
            RateLimited: the bucket is empty (or, after it, the address's failure bucket).
        """
        if not api_key:
            limit, bucket = self.publishable, keys.client_bucket(client_group(client_address))
        elif api_key.startswith("pk_"):
            bucket = keys.publishable_key_bucket(hash_api_key(api_key), client_group(client_address))
            limit = self.publishable
        else:
            limit, bucket = self.secret, keys.secret_key_bucket(hash_api_key(api_key))
        buckets = [(bucket, limit, False)]
        if check_auth_failures:
            buckets.append((keys.auth_failure_bucket(client_group(client_address)), self.publishable, True))
        refused, retry_after_s = self._take_each(buckets)
        if refused == 0:
            _refuse_if_waiting(retry_after_s, limit)
        elif refused == 1:
            _refuse_if_waiting(retry_after_s, self.publishable, "keys that fail to authenticate")

    def note_auth_failure(self, client_address: str) -> None:
        """Count a key that failed to authenticate against its client address."""
        self.take(keys.auth_failure_bucket(client_group(client_address)), self.publishable)


def _refuse_if_waiting(retry_after_s: int, limit: Limit, what: str = "requests") -> None:
    if retry_after_s:
        raise RateLimited(
            f"Too many {what}: at most {limit.per_s:g} a second (bursts of {limit.burst}); "
            f"try again in {retry_after_s} s",
            retry_after_s=retry_after_s,
        )


def client_group(address: str) -> str:
    """The name a client address is limited under: IPv4 as it is, IPv6 by its /64.

    One subscriber usually has a whole /64, so limiting single IPv6 addresses would limit nobody.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return f"{ipaddress.IPv6Network((ip, 64), strict=False).network_address}/64"
    return str(ip)


@functools.cache
def default_limiter() -> RateLimiter:
    """The process's limiter on ``REDIS_URL``, with the configured limits."""
    return RateLimiter.from_settings(settings())
