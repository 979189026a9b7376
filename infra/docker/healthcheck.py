"""Container healthchecks: ``python -m infra.docker.healthcheck api|worker`` exits 0 when healthy.

Slim images have no curl, so docker-compose.yml runs this instead.

- ``api``: ``GET /api/v1/test/jobs/status`` on ``$PORT`` answers below 500 (any answer from the app
  means gunicorn is serving it; 503 means Redis is unreachable).
- ``worker``: a poller in *this* container (its id starts with the container's host name, see
  ``functions/poller.py``) wrote a heartbeat to the ``gw:pollers`` sorted set within
  ``HEARTBEAT_TTL_S``. It writes one every second.
"""

from __future__ import annotations

import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import redis

from shared import keys
from shared.config import settings


def api_healthy(timeout_s: float = 4) -> bool:
    url = f"http://127.0.0.1:{settings().port}/api/v1/test/jobs/status"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def worker_healthy(hostname: str | None = None, timeout_s: float = 4) -> bool:
    prefix = f"{hostname or socket.gethostname()}:"
    cutoff_ms = time.time() * 1000 - settings().heartbeat_ttl_s * 1000
    client = redis.Redis.from_url(settings().redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        beats = client.zrangebyscore(keys.POLLERS, cutoff_ms, "+inf")
    except redis.RedisError:
        return False
    finally:
        client.close()
    return any((beat.decode() if isinstance(beat, bytes) else str(beat)).startswith(prefix) for beat in beats)


def main(argv: list[str]) -> int:
    checks: dict[str, Callable[[], bool]] = {"api": api_healthy, "worker": worker_healthy}
    if len(argv) != 1 or argv[0] not in checks:
        print("usage: python -m infra.docker.healthcheck api|worker", file=sys.stderr)
        return 2
    return 0 if checks[argv[0]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
