#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml brought up for real with podman, then tested end to end
# (tests/compose/). Installs what it needs, builds the stand-in base images (infra/docker/standins/)
# and every image from our Dockerfiles, and removes only what compose project gwcompose-test made.
#
# podman-compose, not Debian's docker-compose 1.29 against podman's Docker API socket: it drives the
# podman CLI directly (no API service process to start, watch and stop), it reads the compose spec
# our file uses (top-level `name:`, `!override` in the test's scale file), and compose 1.29 would
# wait forever on `condition: service_healthy`, since podman 4.3 runs healthchecks only through
# systemd timers, which this machine lacks. The test waits for health itself (`podman healthcheck run`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=$PWD/infra/docker/podman/containers.conf

# netavark (podman's networks) sets up each network's rules with iptables, which a minimal Debian
# lacks: without it every build step and container fails with "netavark: No such file or directory".
missing=()
for tool in podman runc debootstrap iptables; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "[compose-test] installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap iptables netavark aardvark-dns >/dev/null
fi
.venv/bin/python -m pip install --quiet -r infra/docker/requirements-compose.txt

infra/docker/standins/build.sh

# The session fixture takes the stack down, failed or not; this catches a pytest that was killed.
sweep() { .venv/bin/python -c 'from tests.compose.stack import sweep; sweep()' || true; }
trap sweep EXIT
trap 'exit 143' TERM INT
# --confcutdir: not tests/conftest.py, which empties the native test database and Redis before
# each test (other runs' data); these tests use only the containers.
.venv/bin/python -m pytest tests/compose -m compose --confcutdir=tests/compose -p no:cacheprovider "$@"
