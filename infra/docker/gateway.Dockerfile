# syntax=docker/dockerfile:1
# The gateway image, one for both the API (`python -m infra.local api`) and the worker
# (`python -m infra.local poller`); docker-compose.yml picks the command. Build context: the
# repository root (see .dockerignore).
#
# Stage 1 installs the server requirements into a virtualenv; stage 2 copies that virtualenv and
# the application code only: no pip cache, no dev tools (pytest, ruff, mypy), no tests.

# The base image; docker-compose.yml passes the same default. The compose test (tests/compose/)
# builds against a local stand-in (infra/docker/standins/) where no registry answers.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
# infra/requirements-server.txt includes ../requirements.txt: keep both at their relative paths.
COPY requirements.txt /src/requirements.txt
COPY infra/requirements-server.txt /src/infra/requirements-server.txt
RUN /opt/venv/bin/pip install -r /src/infra/requirements-server.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    PORT=8000
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin gateway
WORKDIR /app
COPY --from=deps /opt/venv /opt/venv
# The code stays owned by root: the gateway user can read it, not change it.
# .chalice/ (config.json) is read by the WSGI adapter (infra/wsgi.py) at start.
COPY .chalice .chalice
COPY app.py ./
COPY shared shared
COPY functions functions
COPY infra/*.py infra/requirements-server.txt infra/
COPY infra/docker/healthcheck.py infra/docker/healthcheck.py
# The `gateway` CLI (infra/cli.py), as `make up` installs it: `docker compose exec api gateway queue`.
RUN printf '#!/bin/sh\nexec python -m infra.cli "$@"\n' > /usr/local/bin/gateway \
    && chmod 755 /usr/local/bin/gateway \
    && python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "infra.local", "api"]
