"""The isolated environment the benchmark runs the gateway in (applied before settings are read)."""

from __future__ import annotations

import os

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/gateway_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

BENCH_ENV: dict[str, str] = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "GATEWAY_ENV": "test",
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receivers are on loopback
    "TEST_MODE": "true",
    "TEST_PAYMENT_SUCCESS": "true",
    "TEST_PROCESSING_DELAY": "0",
    "WEBHOOK_RETRY_INTERVALS_TEST": "true",
    "LOG_LEVEL": "WARNING",
    "JOB_STATUS_ENABLED": "true",
    "RECONCILE_INTERVAL_S": "10",
    # The load generator drives one key from one address far past the default limits (100/s): high
    # enough never to refuse, so the figures include the limiter's Redis round trip but no 429s.
    "RATE_LIMIT_SECRET_PER_S": "1000000",
    "RATE_LIMIT_SECRET_BURST": "1000000",
    "RATE_LIMIT_PUBLISHABLE_PER_S": "1000000",
    "RATE_LIMIT_PUBLISHABLE_BURST": "1000000",
    # The gateway's defaults, pinned so a developer's shell cannot change what is measured.
    "WEB_CONCURRENCY": os.environ.get("BENCH_WEB_CONCURRENCY", "4"),
    "MONEY_CONCURRENCY": os.environ.get("BENCH_MONEY_CONCURRENCY", "8"),
    "WEBHOOK_CONCURRENCY": os.environ.get("BENCH_WEBHOOK_CONCURRENCY", "16"),
}


def apply() -> None:
    os.environ.update(BENCH_ENV)
