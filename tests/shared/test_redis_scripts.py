"""Lua scripts on the real Redis: loaded when Redis lacks them, errors raised, connections reused."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.config import settings
from shared.redis_scripts import Script

_INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def test_a_script_runs_and_is_loaded_again_after_redis_forgets_it(redis_client: redis.Redis) -> None:
    script = Script(redis_client, _INCR)
    assert script(keys=["count"], args=[2]) == 2
    redis_client.script_flush()
    assert script(keys=["count"], args=[3]) == 5
    assert redis_client.script_exists(script.sha) == [True]


def test_a_failing_script_raises_and_leaves_the_connection_usable(redis_client: redis.Redis) -> None:
    failing = Script(redis_client, "return redis.error_reply('no good')")
    with pytest.raises(redis.ResponseError, match="no good"):
        failing(keys=[], args=[])
    assert Script(redis_client, _INCR)(keys=["count"], args=[1]) == 1


def test_an_unreachable_redis_raises_a_redis_error() -> None:
    client = redis.Redis(port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 1))
    with pytest.raises(redis.ConnectionError):
        Script(client, _INCR)(keys=["count"], args=[1])


def test_a_pooled_connection_redis_closed_is_replaced_by_the_retry(redis_client: redis.Redis) -> None:
    client = redis.Redis.from_url(settings().redis_url)  # redis-py's default policy: retries
    script = Script(client, _INCR)
    assert script(keys=["count"], args=[1]) == 1
    pooled_id = client.client_id()  # the pool's one idle connection, the one the script used
    assert redis_client.client_kill_filter(_id=str(pooled_id)) == 1
    assert script(keys=["count"], args=[1]) == 2
    client.close()
