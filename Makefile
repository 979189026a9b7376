# `make up` runs the whole stack on this machine; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test lint bench prepare api poller package clean widget widget-check node-deps openapi compose-test
STAGE ?= dev

$(STAMP): requirements.txt requirements-dev.txt infra/requirements-server.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip<26.3"   # chalice 1.34 requires it
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --editable .   # the `gateway` command
	touch $(STAMP)

# The test merchant (and any receiver you run) is on localhost, which the gateway refuses as a
# webhook target unless told otherwise; a deployment never sets this.
LOCAL_ENV := WEBHOOK_ALLOW_PRIVATE_TARGETS=$${WEBHOOK_ALLOW_PRIVATE_TARGETS:-true}

up: $(STAMP) widget
	$(LOCAL_ENV) $(PY) -m infra.local up

prepare: $(STAMP)
	$(PY) -m infra.local prepare

api: $(STAMP)
	$(LOCAL_ENV) $(PY) -m infra.local api

poller: $(STAMP)
	$(LOCAL_ENV) $(PY) -m infra.local poller

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

test: $(STAMP) lint widget-check widget
	$(PY) -m infra.local services
	$(PY) -m pytest
	infra/docker/compose-test.sh

# The API's OpenAPI document, generated from the code; tests/api/test_openapi.py fails when the
# committed copy is stale.
openapi: $(STAMP)
	$(VENV)/bin/gateway openapi > docs/openapi.json

# Browser side (checkout-widget/, test-merchant/, tests/browser/): npm packages from the lock files,
# then the widget's build (dist/ is git-ignored) and its type check and unit tests. The browser tests drive
# Debian's chromium (.ci/run installs it).
WIDGET_DEPS := checkout-widget/node_modules/.package-lock.json

$(WIDGET_DEPS): checkout-widget/package.json checkout-widget/package-lock.json
	cd checkout-widget && npm ci --no-audit --no-fund
	touch $@

node-deps: $(WIDGET_DEPS)
	if [ -f test-merchant/package-lock.json ]; then cd test-merchant && npm ci --no-audit --no-fund --silent; fi

widget: node-deps
	cd checkout-widget && npm run build --silent

widget-check: node-deps
	cd checkout-widget && npm test --silent

# The peers it measures against (Dramatiq, Celery, RQ) and py-spy live in their own git-ignored
# virtualenv, rebuilt when bench/requirements-peers.txt changes; BENCH_ARGS passes options (--help).
PEERS_VENV := bench/.venv-peers
bench: $(STAMP)
	if [ ! -f $(PEERS_VENV)/.installed ] || [ bench/requirements-peers.txt -nt $(PEERS_VENV)/.installed ]; then \
	  test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV); \
	  $(PEERS_VENV)/bin/python -m pip install --quiet -r bench/requirements-peers.txt && touch $(PEERS_VENV)/.installed; \
	fi
	$(PY) -m infra.local services
	$(PY) -m bench $(BENCH_ARGS)

# docker-compose.yml for real: every image built, the whole stack up in podman containers, the
# seed's path, a worker crash and two of each tested end to end, then down -v (tests/compose/).
compose-test: $(STAMP)
	infra/docker/compose-test.sh

# Lambda deployment package and templates (CloudFormation/SAM and Terraform) in build/package.
package: $(STAMP)
	find functions shared -name __pycache__ -prune -exec rm -rf {} +
	rm -rf build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} PYTHONDONTWRITEBYTECODE=1 \
	  $(VENV)/bin/chalice package --stage $(STAGE) --pkg-format cloudformation \
	  --merge-template infra/aws/merge-template.json build/package/cloudformation
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} PYTHONDONTWRITEBYTECODE=1 \
	  $(VENV)/bin/chalice package --stage $(STAGE) --pkg-format terraform build/package/terraform

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
