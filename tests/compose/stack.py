"""docker-compose.yml run for real: podman-compose under compose project ``gwcompose-test``.

Everything this module removes is found by that project's label, so it never touches containers,
volumes or networks another run made. Images stay: they are the cache that makes the next run fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "gwcompose-test"
LABEL = f"io.podman.compose.project={PROJECT}"
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCALE_FILE = Path(__file__).with_name("scale.yml")
CONTAINERS_CONF = ROOT / "infra" / "docker" / "podman" / "containers.conf"
SERVICES = ("postgres", "redis", "localstack", "api", "worker", "checkout-widget", "test-merchant")

# Built by infra/docker/standins/build.sh. Set any of these in the environment to run the test
# on the official images instead (a machine that reaches Docker Hub).
STANDIN_IMAGES = {
    "PYTHON_IMAGE": "localhost/standin/python:3.11-bookworm",
    "NODE_IMAGE": "localhost/standin/node:20-trixie",
    "POSTGRES_IMAGE": "localhost/standin/postgres:15-bookworm",
    "REDIS_IMAGE": "localhost/standin/redis:7-bookworm",
    "LOCALSTACK_IMAGE": "localhost/standin/localstack:4.14.0",
}
# Host ports the stack publishes (compose defaults 8000, 3001, 3002, 4000, 4566): free ones here,
# so the test never clashes with a native `make up` or another run on this machine.
PORT_VARIABLES = (
    "COMPOSE_API_PORT",
    "COMPOSE_WIDGET_PORT",
    "COMPOSE_FRAME_PORT",
    "COMPOSE_MERCHANT_PORT",
    "COMPOSE_LOCALSTACK_PORT",
)


class StackError(Exception):
    """A podman or podman-compose command failed, or the stack did not become healthy in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compose_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment compose runs in: stand-in images unless set, free host ports, test mode."""
    env = {**environ, "CONTAINERS_CONF": environ.get("CONTAINERS_CONF", str(CONTAINERS_CONF))}
    for name, image in STANDIN_IMAGES.items():
        env.setdefault(name, image)
    for name in PORT_VARIABLES:
        env[name] = str(free_port())
    # Deterministic outcomes (every card payment and refund succeeds after TEST_PROCESSING_DELAY).
    env["TEST_MODE"] = "true"
    return env


def run(args: list[str], env: Mapping[str, str], timeout_s: float, check: bool = True) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    if check and done.returncode != 0:
        raise StackError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


@dataclass
class Stack:
    env: dict[str, str]
    files: tuple[Path, ...] = (COMPOSE_FILE,)

    def compose(self, *args: str, timeout_s: float = 900) -> str:
        files = [word for path in self.files for word in ("-f", str(path))]
        return run([sys.executable, "-m", "podman_compose", "-p", PROJECT, *files, *args], self.env, timeout_s)

    def podman(self, *args: str, timeout_s: float = 60, check: bool = True) -> str:
        return run(["podman", *args], self.env, timeout_s, check)

    def up(self, *, scaled: bool = False) -> None:
        self.files = (COMPOSE_FILE, SCALE_FILE) if scaled else (COMPOSE_FILE,)
        # One build at a time, then up: podman-compose builds once per container, in parallel, and
        # api and worker (and each replica) share one image; parallel builds of one tag race.
        self.compose("--parallel", "1", "build")
        # The previous build of each of our images, now untagged; the layer cache stays.
        self.podman("image", "prune", "--force", "--filter", "label=io.payment-gateway.image")
        # --no-deps: no podman --requires links. With them, podman 4.3 refuses to start a container
        # whose dependency is restarting ("depends on container ... not found in input list"), as
        # the api does until PostgreSQL accepts connections. Containers still start in depends_on
        # order, and restart: unless-stopped retries those that start too early.
        self.compose("up", "-d", "--no-deps")

    def containers(self, service: str | None = None) -> list[str]:
        """Names of this project's containers (of one service), in replica order."""
        filters = ["--filter", f"label={LABEL}"]
        if service:
            filters += ["--filter", f"label=io.podman.compose.service={service}"]
        return sorted(self.podman("ps", "-a", *filters, "--format", "{{.Names}}").split())

    def is_healthy(self, container: str) -> bool:
        # podman 4.3 runs healthchecks on a timer only through systemd: run them on demand.
        done = subprocess.run(
            ["podman", "healthcheck", "run", container], env=self.env, capture_output=True, timeout=60, check=False
        )
        return done.returncode == 0

    def wait_healthy(self, timeout_s: float = 300) -> None:
        """Until every container of the project passes its healthcheck.

        Raises:
            StackError: on timeout, naming the containers that are still unhealthy.
        """
        deadline = time.monotonic() + timeout_s
        waiting = self.containers()
        while True:
            waiting = [name for name in waiting if not self.is_healthy(name)]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StackError(f"not healthy after {timeout_s:.0f} s: {', '.join(waiting)}")
            time.sleep(1)

    def url(self, container: str, port: int) -> str:
        """``http://127.0.0.1:<host port>`` where ``container`` publishes ``port``."""
        published = self.podman("port", container, str(port)).split()[0]  # "0.0.0.0:18000"
        return f"http://127.0.0.1:{published.rsplit(':', 1)[1]}"

    def logs(self, container: str) -> str:
        done = subprocess.run(
            ["podman", "logs", container], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        return done.stdout + done.stderr

    def inspect_env(self, container: str) -> dict[str, str]:
        [info] = json.loads(self.podman("inspect", container))
        return dict(item.split("=", 1) for item in info["Config"]["Env"])

    def leftovers(self) -> dict[str, list[str]]:
        """What of this project still exists: containers, pods, volumes, networks."""
        found = {
            "containers": self.containers(),
            "pods": self.podman("pod", "ps", "--filter", f"label={LABEL}", "--format", "{{.Name}}").split(),
            "volumes": self.podman("volume", "ls", "--filter", f"label={LABEL}", "--format", "{{.Name}}").split(),
            "networks": self.podman("network", "ls", "--filter", f"label={LABEL}", "--format", "{{.Name}}").split(),
        }
        return {kind: names for kind, names in found.items() if names}

    def down(self) -> None:
        """``compose down -v``, then whatever a failed run left behind, by this project's label only."""
        # If compose fails half way (or never got to create anything), the sweep below finishes.
        with contextlib.suppress(StackError):
            self.compose("down", "-v", "--remove-orphans", timeout_s=300)
        rest = self.leftovers()
        if rest.get("containers"):
            self.podman("rm", "--force", "--volumes", *rest["containers"], check=False)
        if rest.get("pods"):
            self.podman("pod", "rm", "--force", *rest["pods"], check=False)
        if rest.get("volumes"):
            self.podman("volume", "rm", "--force", *rest["volumes"], check=False)
        if rest.get("networks"):
            self.podman("network", "rm", "--force", *rest["networks"], check=False)


def collect_logs(stack: Stack, directory: Path) -> None:
    """Each container's log into ``directory``, for a failed run's post-mortem."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in stack.containers():
        (directory / f"{name}.log").write_text(stack.logs(name))


def default_stack() -> Stack:
    return Stack(compose_environment(os.environ))


def sweep() -> None:
    """Take down whatever of this project is left, e.g. after pytest itself was killed."""
    stack = default_stack()
    if stack.leftovers():
        stack.down()
