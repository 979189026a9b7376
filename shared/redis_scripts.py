"""Lua scripts on Redis: one round trip each, with little Python around it.

redis-py's own ``Script`` goes through ``Redis.execute_command``: a retry policy, observability
hooks and response callbacks, about 35 µs of Python a call on our 2-core machines, beside about
16 µs to send the command on a pooled connection and read its answer. The API runs two scripts a
request (the rate limit and the enqueue) and the poller several a job, so that is where it showed
(issue 12). The connection still comes from the client's pool, which opens it, checks its health
and replaces it after a fork.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis
from redis.exceptions import NoScriptError

Arg = str | int | float | bytes


class Script:
    """A Lua script run with EVALSHA, loaded by EVAL the first time a Redis lacks it.

    Safe to share between threads, like the pool it takes connections from.
    """

    def __init__(self, client: redis.Redis, source: str) -> None:
        self._pool = client.connection_pool
        self._source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # how Redis names a script, not a secret

    def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        """The script's reply.

        Raises:
            redis.RedisError: the script failed, or Redis could not be reached after the retries
                of the client's retry policy (as redis-py's own commands retry).
        """
        conn: Any = self._pool.get_connection()  # redis-py types its connections only in part
        try:
            return conn.retry.call_with_retry(lambda: self._run(conn, keys, args), lambda _error: conn.disconnect())
        except BaseException:
            # Whatever interrupted it, the connection may hold half an answer: never reuse it.
            conn.disconnect()
            raise
        finally:
            self._pool.release(conn)

    def _run(self, conn: Any, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        try:
            conn.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:
            # A Redis that restarted, or never ran it: EVAL runs it and keeps it for EVALSHA.
            conn.send_command("EVAL", self._source, len(keys), *keys, *args)
            return conn.read_response()
