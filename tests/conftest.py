"""Fixtures over real PostgreSQL and Redis, kept apart from ``make up`` data.

Tests use the database ``gateway_test`` and Redis database 15 (override with TEST_DATABASE_URL and
TEST_REDIS_URL). Every test starts from empty tables, the seeded test merchant and an empty Redis
database. Servers (API, poller, webhook receivers) are real processes or threads on loopback.
"""

from __future__ import annotations

import os
import urllib.parse

# Settings are read once per process: set the test environment before anything imports them.
TEST_ENV = {
    "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/gateway_test"),
    "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "GATEWAY_ENV": "test",
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # receivers run on loopback
    "TEST_MODE": "true",
    "TEST_PROCESSING_DELAY": "0",
    "WEBHOOK_RETRY_INTERVALS_TEST": "true",
    "RECONCILE_INTERVAL_S": "1",
    "RECONCILE_GRACE_S": "1",
    "JOB_LEASE_S": "30",
    "LOG_LEVEL": "WARNING",
    "WEB_CONCURRENCY": "2",
    "MONEY_CONCURRENCY": "4",
    "WEBHOOK_CONCURRENCY": "16",
    # Every test uses the same few keys from one address, in bursts (20 concurrent creates, polls
    # every 50 ms), so the defaults could trip them. The limits themselves are tested on a server of
    # their own with low limits (tests/functions/test_rate_limits.py).
    "RATE_LIMIT_SECRET_PER_S": "1000",
    "RATE_LIMIT_SECRET_BURST": "5000",
    "RATE_LIMIT_PUBLISHABLE_PER_S": "1000",
    "RATE_LIMIT_PUBLISHABLE_BURST": "5000",
}
os.environ.update(TEST_ENV)

import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO, Any  # noqa: E402

import pytest  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402

from shared import auth, db, seed  # noqa: E402
from shared.config import settings  # noqa: E402
from shared.db import migrations  # noqa: E402
from shared.queue import Queue  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
API_KEY = seed.API_KEY
OTHER_API_KEY = "key_test_other_merchant"
TABLES = (
    "webhook_attempts, webhook_deliveries, events, refunds, payments, orders, idempotency_keys, webhook_endpoints, "
    "api_keys, merchants"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout_s: float = 15, interval_s: float = 0.05) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail the test on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    url = settings().redis_url
    if urllib.parse.urlsplit(url).path.strip("/") in ("", "0"):
        pytest.exit("Refusing to run tests on Redis database 0: set TEST_REDIS_URL to a spare database", 2)
    client = redis.Redis.from_url(url)
    yield client
    client.close()


@pytest.fixture
def queue(redis_client: redis.Redis) -> Iterator[Queue]:
    """The job queue on the test Redis (``redis_client`` checked the database)."""
    q = Queue.from_url(settings().redis_url)
    yield q
    q.redis.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "static: reads code, files or pure functions only: runs without PostgreSQL and Redis"
    )


def require(tool: str | None, reason: str) -> str:
    """``tool`` (a path found on PATH), or skip the test with ``reason``; in CI a missing tool fails it."""
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"cannot run in CI: {reason}")
        pytest.skip(reason)
    return tool


@pytest.fixture(scope="session")
def database() -> None:
    migrations.ensure_database(settings().database_url)
    migrations.migrate(settings().database_url)


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty tables (but for the seed) and an empty Redis database, except for ``static`` tests."""
    if request.node.get_closest_marker("static"):
        yield
        return
    request.getfixturevalue("database")
    redis_client: redis.Redis = request.getfixturevalue("redis_client")
    redis_client.flushdb()
    with db.transaction() as tx:
        tx.execute(f"TRUNCATE {TABLES}")
        tx.execute("INSERT INTO merchants (id, name) VALUES ('mch_other', 'Other Merchant')")
        auth.store_key(tx, "mch_other", OTHER_API_KEY)
    seed.run(settings(), with_endpoint=False)
    yield


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})})


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


NODE = shutil.which("node")


class NodeServer:
    """A Node server with its output in a file (a full pipe would block it), up once ``health_url``
    answers 200, stopped with SIGTERM. Without node the test is skipped (failed in CI)."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        health_url: str,
        unset: tuple[str, ...] = (),
    ) -> None:
        node = require(NODE, "node is not on PATH (Debian: apt-get install nodejs)")
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        environ = {k: v for k, v in os.environ.items() if k not in unset}
        self.proc = subprocess.Popen(
            [node, *args], cwd=cwd, env={**environ, **env}, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(lambda: self._up(health_url), timeout_s=20)
        except BaseException:
            self.stop()
            raise

    def _up(self, url: str) -> bool:
        assert self.proc.poll() is None, f"{self.proc.args!r} exited:\n{self.output()}"
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop_process(self.proc, timeout_s=10)
        self._log.close()


class MerchantReceiver:
    """``node test-merchant/webhook-receiver.js`` on ``port``: verifies every signature, prints what it
    verified, and lists what arrived at ``/events``. Without ``secret`` it uses its default, the seed's."""

    def __init__(self, port: int, log_path: Path, secret: str | None = None, **env: str) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/webhook"
        settings = {"PORT": str(port), **env, **({"WEBHOOK_SECRET": secret} if secret is not None else {})}
        self.process = NodeServer(
            ["webhook-receiver.js"],
            ROOT / "test-merchant",
            settings,
            log_path,
            f"{self.base}/health",
            unset=("WEBHOOK_SECRET", "FAIL_FIRST"),
        )

    def output(self) -> str:
        return self.process.output()

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base}/events", timeout=5)
        assert response.status_code == 200, response.text
        return [e for e in response.json()["events"] if event is None or e["event"] == event]

    def processed(self, event: str) -> list[dict[str, Any]]:
        """Entries of ``event`` that were verified and processed (answered 200, not duplicates)."""
        return [e for e in self.events(event) if e["verified"] and not e["duplicate"] and e["status"] == 200]

    def post(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(self.url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=5)

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server over HTTP: Secrets Manager, Lambda, IAM (no Docker; Lambda code is not run)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # Without Docker, moto's Lambda echoes invocations instead of trying to run them in a container.
    requests.post(f"{url}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=5).raise_for_status()
    yield url
    server.stop()


@contextmanager
def running_api(**env: str) -> Iterator[str]:
    """A real gunicorn server running the app with the test settings and ``env``; yields its base URL."""
    port = free_port()
    proc = _start([sys.executable, "-m", "infra.local", "api"], {"PORT": str(port), **env})
    base = f"http://127.0.0.1:{port}/api/v1"

    def up() -> bool:
        try:
            # 401: a production server wants a key for it; 429: a server with low rate limits is up too.
            return requests.get(f"{base}/test/jobs/status", timeout=2).status_code in (200, 401, 429)
        except requests.RequestException:
            assert proc.poll() is None, "the API server exited"
            return False

    try:
        wait_until(up, timeout_s=60)
        yield base
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def api_url(database: None) -> Iterator[str]:
    """The API server most tests share."""
    with running_api() as base:
        yield base


@dataclass
class Api:
    base: str
    key: str = API_KEY
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Api-Key": self.key, **kwargs.pop("headers", {})}
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(api_url: str) -> Api:
    return Api(api_url)


@pytest.fixture
def other_api(api_url: str) -> Api:
    return Api(api_url, key=OTHER_API_KEY)


class Poller:
    """A poller process with the test settings; ``start`` again after ``kill`` to simulate recovery."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        proc = _start([sys.executable, "-m", "infra.local", "poller"], env)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            stop_process(proc)


@pytest.fixture
def poller() -> Iterator[Poller]:
    p = Poller()
    p.start()
    yield p
    p.stop_all()


@pytest.fixture
def pollers() -> Iterator[Poller]:
    """Like ``poller`` but starts none: the test decides when and how."""
    p = Poller()
    yield p
    p.stop_all()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver on loopback that records every request and answers as scripted."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []  # answered in order; then `default_status`
        self.default_status = 200
        self.delay_s = 0.0  # how long each answer takes
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests it was ever answering at once
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer._lock:
                    outer.requests.append(Received(self.path, dict(self.headers.items()), body))
                    status = outer.statuses.pop(0) if outer.statuses else outer.default_status
                    outer.in_flight += 1
                    outer.most_in_flight = max(outer.most_in_flight, outer.in_flight)
                if outer.delay_s:
                    time.sleep(outer.delay_s)
                with outer._lock:
                    outer.in_flight -= 1
                payload = json.dumps({"received": True, "status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, name: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if name is None or r.json()["event"] == name]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def create_endpoint(api: Api, url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    """Register a webhook endpoint (every event unless ``events`` says otherwise) and return it, secret included."""
    body: dict[str, Any] = {"url": url, **fields}
    if events is not None:
        body["events"] = events
    response = api.post("/webhook-endpoints", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def endpoint(api: Api, receiver: Receiver) -> dict[str, Any]:
    """A webhook endpoint of the test merchant pointing at ``receiver``, for every event."""
    return create_endpoint(api, receiver.url)


CARD = {"number": "4111111111111111", "expiry_month": 12, "expiry_year": 2035, "cvv": "123", "name": "Asha Rao"}


def payment_body(**overrides: Any) -> dict[str, Any]:
    return {"amount": 50000, "currency": "INR", "method": "card", "order_id": "order_1", "card": CARD, **overrides}


def settled_payment(api: Api, payment_id: str, timeout_s: float = 15) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        body = api.get(f"/payments/{payment_id}").json()
        return body if body["status"] != "pending" else None

    return dict(wait_until(settled, timeout_s))


def scalar(sql: str, *args: Any) -> Any:
    """The first column of the first row of a query against the test database."""
    with db.transaction() as tx:
        tx.execute(sql, args)
        row = tx.fetchone()
    assert row is not None, sql
    return next(iter(row.values()))


def count(sql: str, *args: Any) -> int:
    """The number a ``SELECT count(*) …`` against the test database returns."""
    return int(scalar(sql, *args))


@pytest.fixture
def live_api(api_url: str) -> Api:
    """The seeded merchant with a live secret key (issued for this test: the seed has test keys only)."""
    with db.transaction() as tx:
        key = auth.issue_key(tx, seed.MERCHANT_ID, auth.KeyKind.SECRET, livemode=True)
    return Api(api_url, key=key)
