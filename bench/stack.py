"""The gateway under test: private data, and the API and poller as real child processes."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import minimal_app
from shared import db, seed
from shared.config import settings
from shared.db import migrations
from shared.queue import Queue
from shared.secrets import gateway_secrets

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "webhook_attempts, webhook_deliveries, events, refunds, payments, orders, idempotency_keys, webhook_endpoints, "
    "api_keys, merchants"
)
API_KEY = seed.API_KEY
JSON_HEADERS = {"Content-Type": "application/json", "X-Api-Key": API_KEY}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One HTTP/1.1 connection to the API (gunicorn's sync workers close it after every response,
    and http.client reconnects on the next request)."""

    def __init__(self, port: int, timeout_s: float = 30) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """(status, body); status 0 means the request failed below HTTP (refused, reset, timeout)."""
        try:
            self._conn.request(method, path, body=body, headers=JSON_HEADERS)
            response = self._conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self._conn.close()
            return 0, b""

    def post_json(self, path: str, doc: Any) -> tuple[int, Any]:
        status, raw = self.request("POST", path, json.dumps(doc).encode())
        return status, (json.loads(raw) if raw else None)

    def close(self) -> None:
        self._conn.close()


class Stack:
    """Owns every child process it starts; ``stop_all`` is safe to call more than once."""

    def __init__(self) -> None:
        self.logdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
        self.queue = Queue.from_url(settings().redis_url)
        # Every API and poller running, oldest first: a phase may run more than one of each.
        self.api_ports: list[int] = []
        self._apis: list[subprocess.Popen[bytes]] = []
        self._pollers: list[subprocess.Popen[bytes]] = []
        self.minimal_port = 0
        self._minimal: subprocess.Popen[bytes] | None = None
        self.baseline_port = 0
        self._baseline: subprocess.Popen[bytes] | None = None

    # Data ------------------------------------------------------------------------------------

    def prepare_database(self) -> None:
        url = settings().database_url
        migrations.ensure_database(url)
        migrations.migrate(url)

    def reset_data(self) -> None:
        """Empty tables, the seeded test merchant (no endpoint) and an empty Redis database.
        Only call with no poller running."""
        self.queue.redis.flushdb()
        with db.transaction() as tx:
            tx.execute(f"TRUNCATE {TABLES}")
        seed.run(settings(), with_endpoint=False)

    # Processes -------------------------------------------------------------------------------

    def _spawn(self, role: str, env: dict[str, str], root: Path = ROOT, log_as: str = "") -> subprocess.Popen[bytes]:
        log = (self.logdir / f"{log_as or role}.log").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "infra.local", role],
                cwd=root,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,  # gunicorn's access log: one line per request
                stderr=log,
            )
        finally:
            log.close()

    def _log_tail(self, role: str) -> str:
        path = self.logdir / f"{role}.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-20:])

    def _wait_until_answers(self, proc: subprocess.Popen[bytes], port: int, path: str, status: int, role: str) -> None:
        """Return once ``GET path`` answers ``status``; raise with the log's tail if the process exits or
        a minute passes."""
        deadline = time.monotonic() + 60
        client = Client(port, timeout_s=2)
        try:
            while client.request("GET", path)[0] != status:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {role} server did not come up:\n{self._log_tail(role)}")
                time.sleep(0.2)
        finally:
            client.close()

    def start_api(self) -> int:
        """Start an API (another one if one runs already) and return its port once it answers."""
        port = free_port()
        name = _numbered("api", len(self._apis))
        api = self._spawn("api", {"PORT": str(port)}, log_as=name)
        self._apis.append(api)
        self.api_ports.append(port)
        self._wait_until_answers(api, port, "/api/v1/test/jobs/status", 200, name)
        return port

    def start_baseline(self, root: Path) -> int:
        """Start the API from another copy of the tree (``--baseline``: the code before a change), on
        the same data, so a change is measured before and after in one run."""
        self.baseline_port = free_port()
        self._baseline = self._spawn("api", {"PORT": str(self.baseline_port)}, root=root, log_as="baseline")
        self._wait_until_answers(self._baseline, self.baseline_port, "/api/v1/test/jobs/status", 200, "baseline")
        return self.baseline_port

    def stop_baseline(self) -> None:
        _stop(self._baseline)
        self._baseline = None

    @property
    def minimal_pid(self) -> int:
        return self._minimal.pid if self._minimal else 0

    @property
    def baseline_pid(self) -> int:
        return self._baseline.pid if self._baseline else 0

    @property
    def api_port(self) -> int:
        """The first API's port (0 when none runs)."""
        return self.api_ports[0] if self.api_ports else 0

    @property
    def api_pid(self) -> int:
        """The first API's gunicorn arbiter (its workers are its children)."""
        return self._apis[0].pid if self._apis else 0

    @property
    def poller_pid(self) -> int:
        """The first poller (one process: its lanes run on threads)."""
        return self._pollers[0].pid if self._pollers else 0

    def start_minimal(self) -> int:
        """Start ``bench.minimal_app`` on gunicorn (same worker count, default sync workers) and
        return its port once it answers."""
        minimal_app.ensure_tables(settings().database_url)
        self.minimal_port = free_port()
        log = (self.logdir / "minimal.log").open("ab")
        command = [sys.executable, "-m", "gunicorn", "bench.minimal_app:application", "--bind"]
        command += [f"127.0.0.1:{self.minimal_port}", "--workers", str(settings().web_concurrency)]
        command += ["--backlog", "2048", "--chdir", str(ROOT), "--no-control-socket"]
        env = {**os.environ, "BENCH_MINIMAL_SECRET": gateway_secrets().secret_key}
        try:
            self._minimal = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        finally:
            log.close()
        self._wait_until_answers(self._minimal, self.minimal_port, "/", 404, "minimal")
        return self.minimal_port

    def stop_minimal(self) -> None:
        _stop(self._minimal)
        self._minimal = None

    def start_poller(self) -> None:
        """Start a poller (another one if one runs already) and return once it has sent its first
        heartbeat (it is then polling)."""
        name = _numbered("poller", len(self._pollers))
        poller = self._spawn("poller", {}, log_as=name)
        self._pollers.append(poller)
        deadline = time.monotonic() + 60
        # Pollers remove their heartbeat when they stop, and reset_data empties Redis: one per poller we run.
        while self.queue.live_pollers(within_s=30) < len(self._pollers):
            if poller.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the poller did not start:\n{self._log_tail(name)}")
            time.sleep(0.05)
        time.sleep(0.3)  # its start-up reconciliation pass

    def stop_poller(self) -> None:
        """Stop every poller."""
        _stop(*self._pollers)
        self._pollers.clear()

    def stop_api(self) -> None:
        """Stop every API."""
        _stop(*self._apis)
        self._apis.clear()
        self.api_ports.clear()

    def stop_all(self) -> None:
        self.stop_baseline()
        self.stop_minimal()
        self.stop_poller()
        self.stop_api()


def _numbered(role: str, running: int) -> str:
    """``api``, then ``api-2``, ``api-3``...: the log file and error name of each instance."""
    return role if running == 0 else f"{role}-{running + 1}"


def _stop(*procs: subprocess.Popen[bytes] | None) -> None:
    """Ask every process to stop, then wait for each: a poller lets its jobs in flight finish, so
    several stop side by side rather than one after another."""
    running = [proc for proc in procs if proc is not None and proc.poll() is None]
    for proc in running:
        proc.terminate()
    for proc in running:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
