"""Run the gateway on a plain machine: ``python -m infra.local up|api|poller|prepare|services``.

``up`` makes sure PostgreSQL and Redis answer (starting private instances under ``.data/`` when
the server binaries are installed but nothing listens), creates and migrates the database, seeds
it, then runs the API under gunicorn and the poller in the foreground. Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from shared import log
from shared.config import settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"


def _say(message: str) -> None:
    print(f"[gateway] {message}", file=sys.stderr, flush=True)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_for(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not _answers(host, port):
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start listening on {host}:{port}; see the logs under {DATA}")
        time.sleep(0.2)


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _start_postgres(host: str, port: int) -> None:
    clusters = sorted(glob.glob("/etc/postgresql/*/main"))
    if os.geteuid() == 0 and clusters and port == 5432 and shutil.which("pg_ctlcluster"):
        version = Path(clusters[-1]).parent.name
        _say(f"starting the system PostgreSQL {version} cluster")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
        _wait_for(host, port, "PostgreSQL")
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    initdb = shutil.which("initdb") or (f"{bins[-1]}/initdb" if bins else None)
    if not initdb:
        raise SystemExit(
            f"PostgreSQL does not answer on {host}:{port} and no server is installed.\n"
            "Install it (Debian: apt-get install postgresql) or point DATABASE_URL at a running server."
        )
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    data = DATA / "postgres"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        _say(f"creating a private PostgreSQL cluster in {data}")
        subprocess.run(
            _as_postgres_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    _say(f"starting private PostgreSQL on {host}:{port}")
    subprocess.run(
        _as_postgres_user(
            [
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(data / "server.log"),
                "-w",
                "-o",
                f"-p {port} -c listen_addresses={host} -k {data}",
                "start",
            ]
        ),
        check=True,
    )
    _wait_for(host, port, "PostgreSQL")


def _start_redis(host: str, port: int) -> None:
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit(
            f"Redis does not answer on {host}:{port} and redis-server is not installed.\n"
            "Install it (Debian: apt-get install redis-server) or point REDIS_URL at a running server."
        )
    data = DATA / "redis"
    data.mkdir(parents=True, exist_ok=True)
    _say(f"starting private Redis on {host}:{port}")
    subprocess.run(
        [
            server,
            "--daemonize",
            "yes",
            "--bind",
            host,
            "--port",
            str(port),
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--logfile",
            str(data / "redis.log"),
        ],
        check=True,
    )
    _wait_for(host, port, "Redis")


def ensure_services() -> None:
    """Make PostgreSQL and Redis answer, or exit with a message saying how to start them."""
    s = settings()
    db = urllib.parse.urlsplit(s.database_url)
    rd = urllib.parse.urlsplit(s.redis_url)
    for name, url, default_port, start in (
        ("PostgreSQL", db, 5432, _start_postgres),
        ("Redis", rd, 6379, _start_redis),
    ):
        host, port = url.hostname or "127.0.0.1", url.port or default_port
        if _answers(host, port):
            continue
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"{name} does not answer on {host}:{port}; start it or fix the URL")
        start("127.0.0.1" if host == "localhost" else host, port)


def prepare() -> None:
    """Create the database if needed, migrate it and seed it."""
    from shared import seed
    from shared.db import migrations

    s = settings()
    migrations.ensure_database(s.database_url)
    applied = migrations.migrate(s.database_url)
    if applied:
        _say(f"applied migrations: {', '.join(applied)}")
    seed.run(s)


def run_poller() -> None:
    from app import JOBS
    from functions import poller
    from shared import queue

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    from shared import invoker

    q = queue.default_queue()
    poller.run(JOBS, q, settings(), should_stop=stop.is_set, invoke=invoker.for_settings(settings(), JOBS, q))


def api_command() -> list[str]:
    s = settings()
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "infra.wsgi:application",
        "--bind",
        f"0.0.0.0:{s.port}",
        "--workers",
        str(s.web_concurrency),
        # Our worker (infra/edge.py) reads whole requests without blocking, under HTTP_READ_TIMEOUT_S,
        # before the app sees them: a slow client cannot hold a process, as it could a sync worker.
        # It also writes the access log, a JSON line per answer on stdout.
        "--worker-class",
        "infra.edge.EdgeWorker",
        "--backlog",
        "2048",
        # Only a hung app can now stop a worker from checking in; the arbiter restarts it after this.
        "--timeout",
        "30",
        "--graceful-timeout",
        "10",
        "--chdir",
        str(ROOT),
        # A fixed control-socket path would be shared, and fought over, by every instance on the machine.
        "--no-control-socket",
    ]


def browser_side_commands(api_port: int) -> list[tuple[list[str], Path, dict[str, str]]]:
    """The checkout widget server and the test merchant, if Node is installed (built first)."""
    widget, merchant = ROOT / "checkout-widget", ROOT / "test-merchant"
    if not (shutil.which("node") and shutil.which("npm")):
        _say("node/npm not found: the checkout widget and the test merchant are not started")
        return []
    if not (widget / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=widget, check=True)
    if not (widget / "dist" / "checkout.js").exists():
        subprocess.run(["npm", "run", "build", "--silent"], cwd=widget, check=True)
    # Each child gets its own PORT: the API's (PORT=8080 make up) must not leak into them.
    widget_env = {
        "PORT": os.environ.get("WIDGET_PORT", "3001"),
        "FRAME_PORT": os.environ.get("WIDGET_FRAME_PORT", "3002"),
        "API_BASE_URL": f"http://localhost:{api_port}/api/v1",
        "TEST_MODE": os.environ.get("TEST_MODE", "true"),
    }
    merchant_env = {"PORT": os.environ.get("MERCHANT_PORT", "4000")}
    return [(["node", "server.js"], widget, widget_env), (["node", "webhook-receiver.js"], merchant, merchant_env)]


def up() -> int:
    ensure_services()
    prepare()
    s = settings()
    # The API and the poller are the gateway: if either exits, everything stops. The browser side
    # (widget, test merchant) is a convenience: if its port is taken, say so and carry on.
    core = [
        subprocess.Popen(api_command(), cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "infra.local", "poller"], cwd=ROOT),
    ]
    extras = [
        subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}) for cmd, cwd, env in browser_side_commands(s.port)
    ]
    _say(f"API        http://localhost:{s.port}/api/v1  (X-Api-Key: key_test_123)")
    if extras:
        _say("Shop       http://localhost:3001/checkout.html")
        _say("Webhooks   http://localhost:3001/dashboard-webhooks.html")
        _say("Merchant   http://localhost:4000/events  (receives the seeded endpoint's webhooks)")
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping.is_set() and all(child.poll() is None for child in core):
        stopping.wait(0.5)
    _say("stopping")
    children = core + extras
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stopping.is_set() else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "api", "poller", "prepare", "services"])
    args = parser.parse_args(argv)
    log.configure(settings().log_level)
    if args.command == "up":
        return up()
    if args.command == "services":
        ensure_services()
    elif args.command == "prepare":
        ensure_services()
        prepare()
    elif args.command == "api":
        os.execv(sys.executable, api_command())
    elif args.command == "poller":
        run_poller()
    return 0


if __name__ == "__main__":
    sys.exit(main())
