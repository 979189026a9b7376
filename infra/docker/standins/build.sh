#!/usr/bin/env bash
# Builds the stand-in images (localhost/standin/...) from Debian packages, for machines that reach
# no container registry: ours. Users with Docker never need them: docker-compose.yml defaults to
# the official images. Used by the compose test only (tests/compose/, `make compose-test`).
#
#   infra/docker/standins/build.sh          build what is missing or changed (podman's layer cache)
#
# The two bases come from debootstrap against the machine's own apt mirror: bookworm (Python 3.11,
# PostgreSQL 15, Redis 7, like the official images we pin) and trixie (Node.js 20, which the
# widget's engines field asks for; Python 3.13, on which LocalStack's SQS and EventBridge providers
# import: on 3.11 they fail with "invalid syntax").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/../podman/containers.conf}
LABEL=io.payment-gateway.standin=true

# The machine's CA bundle: pip and npm inside a build reach the registries through its TLS proxy.
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}

mirror() {
  if [[ -n ${STANDIN_MIRROR:-} ]]; then echo "$STANDIN_MIRROR"; return; fi
  # The first Debian URI in the machine's apt sources (deb822 or one-line format).
  local found
  found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '/^(URIs:|deb) / && $2 ~ /\/debian\/?$/ { print $2; exit }') || true
  echo "${found:-http://deb.debian.org/debian}"
}

base() {
  local suite=$1 image=localhost/standin/debian:$1
  if podman image exists "$image"; then return; fi
  local root
  root=$(mktemp -d /var/tmp/standin-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  echo "[standins] debootstrap $suite from $(mirror)"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$(mirror)" >/dev/null
  # After ca-certificates is installed: its post-install step rewrites the system bundle.
  cp "$HOST_CA" "$root/etc/ssl/host-ca.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import --quiet \
    --change "LABEL $LABEL" \
    --change "ENV PIP_CERT=/etc/ssl/host-ca.crt" \
    --change "ENV SSL_CERT_FILE=/etc/ssl/host-ca.crt" \
    --change "ENV REQUESTS_CA_BUNDLE=/etc/ssl/host-ca.crt" \
    --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt" \
    --change "ENV DEBIAN_FRONTEND=noninteractive" \
    --change "ENV LANG=C.UTF-8" \
    --change 'CMD ["bash"]' \
    - "$image" >/dev/null
}

build() {
  local name=$1 tag=$2
  echo "[standins] localhost/standin/$name:$tag"
  podman build --quiet --pull=never --layers --label "$LABEL" \
    -t "localhost/standin/$name:$tag" -f "$here/$name.Containerfile" "$here" >/dev/null
}

base bookworm
base trixie
build python 3.11-bookworm
build node 20-trixie
build postgres 15-bookworm
build redis 7-bookworm
build localstack 4.14.0
