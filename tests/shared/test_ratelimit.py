"""The token bucket script against a real Redis: bursts, refill, Retry-After, which requests share a
bucket, atomicity across clients, and failing open when Redis is unreachable."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from shared import auth, keys, seed
from shared.config import settings
from shared.errors import RateLimited
from shared.ratelimit import Limit, RateLimiter, client_group
from tests.conftest import free_port

SECRET = Limit(per_s=1, burst=3)
PUBLISHABLE = Limit(per_s=1, burst=2)
BUCKET = keys.secret_key_bucket("test")


@pytest.fixture
def limiter(redis_client: redis.Redis) -> Iterator[RateLimiter]:
    limiter = RateLimiter(redis.Redis.from_url(settings().redis_url), SECRET, PUBLISHABLE)
    yield limiter
    limiter.redis.close()


def _refused(limiter: RateLimiter, api_key: str | None, address: str = "127.0.0.1") -> int:
    """The Retry-After of a refused request, or 0 if it went through."""
    try:
        limiter.take_request(api_key, address)
    except RateLimited as refused:
        return refused.retry_after_s
    return 0


# ---- the script ----------------------------------------------------------------------------------


def test_a_full_bucket_lets_a_burst_through_then_refuses(limiter: RateLimiter) -> None:
    limit = Limit(per_s=2, burst=3)

    waits = [limiter.take(BUCKET, limit, now_ms=1_000) for _ in range(5)]

    assert waits == [0, 0, 0, 1, 1]


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst(limiter: RateLimiter) -> None:
    limit = Limit(per_s=2, burst=3)
    for _ in range(3):
        assert limiter.take(BUCKET, limit, now_ms=1_000) == 0

    assert limiter.take(BUCKET, limit, now_ms=1_499) > 0  # 0.998 of a token: not yet
    assert limiter.take(BUCKET, limit, now_ms=1_500) == 0  # one token after 500 ms at 2 a second
    assert limiter.take(BUCKET, limit, now_ms=1_500) > 0
    # An hour idle refills to the burst, not to 7,200.
    assert [limiter.take(BUCKET, limit, now_ms=3_601_500) for _ in range(4)] == [0, 0, 0, 1]


@pytest.mark.parametrize(
    ("limit", "taken_at_ms", "asked_at_ms", "retry_after_s"),
    [
        pytest.param(Limit(per_s=10 / 60, burst=10), 0, 0, 6, id="10-a-minute"),
        pytest.param(Limit(per_s=0.5, burst=1), 0, 500, 2, id="a-quarter-token-back-still-1.5-s"),
        pytest.param(Limit(per_s=0.5, burst=1), 0, 1_100, 1, id="0.9-s-rounds-up-to-1"),
        pytest.param(Limit(per_s=100, burst=1), 0, 0, 1, id="10-ms-is-at-least-1"),
    ],
)
def test_retry_after_is_the_whole_seconds_until_the_next_token(
    limiter: RateLimiter, limit: Limit, taken_at_ms: int, asked_at_ms: int, retry_after_s: int
) -> None:
    for _ in range(limit.burst):
        assert limiter.take(BUCKET, limit, now_ms=taken_at_ms) == 0

    assert limiter.take(BUCKET, limit, now_ms=asked_at_ms) == retry_after_s


def test_a_bucket_expires_once_it_would_be_full_again(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    limiter.take(BUCKET, Limit(per_s=2, burst=3), now_ms=1_000)

    # One token short of full, at 2 a second: full again (and so forgettable) in 500 ms.
    assert 0 < redis_client.pttl(BUCKET) <= 501


def test_redis_clock_refills_the_bucket(limiter: RateLimiter) -> None:
    limit = Limit(per_s=2, burst=1)
    assert limiter.take(BUCKET, limit) == 0
    assert limiter.take(BUCKET, limit) == 1  # unless this machine stalled for 500 ms between the two

    time.sleep(0.6)

    assert limiter.take(BUCKET, limit) == 0


def test_clients_taking_at_once_never_get_more_than_the_burst(redis_client: redis.Redis) -> None:
    # Eight clients, as eight API processes would be; the rate is too slow to refill during the test.
    limit = Limit(per_s=0.001, burst=50)
    limiters = [RateLimiter(redis.Redis.from_url(settings().redis_url), SECRET, PUBLISHABLE) for _ in range(8)]
    granted: list[int] = []
    lock = threading.Lock()

    def hammer(limiter: RateLimiter) -> None:
        mine = sum(1 for _ in range(25) if limiter.take(BUCKET, limit) == 0)
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=hammer, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for limiter in limiters:
        limiter.redis.close()

    assert sum(granted) == 50


def test_a_limit_of_zero_is_off_and_costs_no_redis_call(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    for off in (Limit(per_s=0, burst=10), Limit(per_s=10, burst=0)):
        assert all(limiter.take(BUCKET, off) == 0 for _ in range(50))

    assert redis_client.dbsize() == 0


# ---- which bucket a request takes from ----------------------------------------------------------


def test_secret_keys_have_a_bucket_each(limiter: RateLimiter) -> None:
    assert [_refused(limiter, seed.API_KEY) for _ in range(4)][:3] == [0, 0, 0]
    assert _refused(limiter, seed.API_KEY) >= 1

    assert _refused(limiter, "key_test_other_merchant") == 0


def test_wrong_keys_are_limited_like_right_ones(limiter: RateLimiter) -> None:
    for _ in range(3):
        assert _refused(limiter, "key_test_guessed") == 0

    assert _refused(limiter, "key_test_guessed") >= 1
    assert _refused(limiter, "not even a key") == 0  # another key, another bucket


def test_a_publishable_key_has_a_bucket_per_client_address(limiter: RateLimiter) -> None:
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "203.0.113.7") == 0
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "203.0.113.7") == 0
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "203.0.113.7") >= 1

    # Another shopper of the same shop, and the same shopper with another shop's key, are unaffected.
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "203.0.113.8") == 0
    assert _refused(limiter, "pk_test_another_shop", "203.0.113.7") == 0


def test_ipv6_clients_are_limited_by_their_slash_64(limiter: RateLimiter) -> None:
    assert client_group("2001:db8:1:2:aaaa::1") == client_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_group("::ffff:203.0.113.7") == "203.0.113.7"

    assert _refused(limiter, seed.PUBLISHABLE_KEY, "2001:db8:1:2::1") == 0
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "2001:db8:1:2::2") == 0
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "2001:db8:1:2::3") >= 1
    assert _refused(limiter, seed.PUBLISHABLE_KEY, "2001:db8:1:3::1") == 0


def test_requests_without_a_key_share_a_bucket_per_address_at_the_publishable_rate(limiter: RateLimiter) -> None:
    assert [_refused(limiter, None, "198.51.100.1") for _ in range(2)] == [0, 0]
    assert _refused(limiter, None, "198.51.100.1") >= 1
    assert _refused(limiter, "", "198.51.100.1") >= 1

    assert _refused(limiter, None, "198.51.100.2") == 0


def test_the_refusal_says_when_to_come_back(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.take_request(seed.API_KEY, "127.0.0.1")

    with pytest.raises(RateLimited) as refused:
        limiter.take_request(seed.API_KEY, "127.0.0.1")

    assert refused.value.status == 429 and refused.value.code == "RATE_LIMIT_ERROR"
    assert refused.value.retry_after_s == 1
    assert "try again in 1 s" in refused.value.description


def test_no_raw_key_reaches_redis(limiter: RateLimiter, redis_client: redis.Redis) -> None:
    for key in (seed.API_KEY, seed.PUBLISHABLE_KEY, "key_test_wrong"):
        _refused(limiter, key)

    stored = [name.decode() if isinstance(name, bytes) else name for name in redis_client.keys("*")]
    assert len(stored) == 3 and all(name.startswith("gw:ratelimit:") for name in stored)
    everything = " ".join(stored) + " ".join(str(redis_client.hgetall(name)) for name in stored)
    for key in (seed.API_KEY, seed.PUBLISHABLE_KEY, "key_test_wrong"):
        assert key not in everything
    assert keys.secret_key_bucket(auth.hash_api_key(seed.API_KEY)) in stored


# ---- Redis unreachable ---------------------------------------------------------------------------


def test_requests_go_through_when_redis_is_unreachable_with_one_warning_per_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = dataclasses.replace(
        settings(),
        redis_url=f"redis://127.0.0.1:{free_port()}/7",
        rate_limit_secret_per_s=1,
        rate_limit_secret_burst=1,
    )
    limiter = RateLimiter.from_settings(down)
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="shared.ratelimit"):
        for _ in range(20):
            limiter.take_request(seed.API_KEY, "127.0.0.1")  # a limit of 1: all but one would be refused

    assert time.monotonic() - started < 5  # no timeout per request (generous: a busy machine)
    [warning] = caplog.records  # the rest skipped Redis for PAUSE_AFTER_FAILURE_S
    assert warning.getMessage() == "ratelimit.unavailable" and warning.exc_info is None
    assert "Connection" in str(getattr(warning, "error", ""))
