"""Every setting the gateway reads, in one frozen object built from the environment.

Only this module reads ``os.environ``. Tests build ``Settings.from_env({...})`` and pass it in
(or set the environment of a subprocess they start).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self, TypeVar

# Retry schedules for webhook deliveries, in seconds after the previous failed attempt.
# The first entry is the first attempt itself ("immediately").
PRODUCTION_RETRY_INTERVALS_S: tuple[float, ...] = (
    0,
    60,
    300,
    1800,
    7200,
    18000,
    36000,
    50400,
    72000,
    86400,
)
TEST_RETRY_INTERVALS_S: tuple[float, ...] = (0, 5, 10, 15, 20)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


T = TypeVar("T", int, float)


class ConfigError(ValueError):
    """A setting in the environment cannot be understood."""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _number(env: Mapping[str, str], name: str, default: T, cast: type[T]) -> T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {cast.__name__}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _intervals(raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"WEBHOOK_RETRY_INTERVALS must be comma-separated seconds, got {raw!r}") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"WEBHOOK_RETRY_INTERVALS must list at least one non-negative number, got {raw!r}")
    return values


@dataclass(frozen=True, slots=True)
class Settings:
    # Where things live.
    database_url: str
    redis_url: str
    # "production" needs real secrets; "local" and "test" are for development machines and CI.
    environment: str
    # Webhook targets on loopback, private, link-local, CGNAT or metadata addresses are refused
    # unless this is set: make up, the tests and docker-compose set it (the test merchant is local).
    allows_private_webhook_targets: bool
    # Used only when GATEWAY_SECRETS_ID is not set (see shared/secrets.py).
    secret_key: str
    encryption_key: str
    port: int
    web_concurrency: int
    cors_allow_origin: str
    max_body_bytes: int
    # Token buckets in Redis (shared/ratelimit.py): requests per second and burst per secret key,
    # and per publishable key and client address. A rate or burst of 0 turns that limit off.
    rate_limit_secret_per_s: float
    rate_limit_secret_burst: int
    rate_limit_publishable_per_s: float
    rate_limit_publishable_burst: int
    # The HTTP edge (infra/edge.py): how long a client may take to send one request, and to
    # start the next on a kept-alive connection.
    http_read_timeout_s: float
    http_keepalive_s: float
    job_status_enabled: bool
    log_level: str
    # Seed data.
    seed_webhook_url: str
    # Payment simulation.
    test_mode: bool
    test_payment_success: bool
    test_refund_success: bool
    test_processing_delay_ms: int
    card_success_rate: float
    upi_success_rate: float
    # Webhooks.
    webhook_retry_intervals_s: tuple[float, ...]
    webhook_retry_jitter: float
    webhook_connect_timeout_s: float
    webhook_timeout_s: float
    webhook_response_body_max_bytes: int
    webhook_endpoint_concurrency: int
    # An endpoint answering nothing but failures for this long is disabled (issue 11).
    webhook_endpoint_disable_after_s: float
    # Jobs. Each poller runs two lanes with their own threads, so deliveries never wait for payments
    # and payments never wait for deliveries.
    job_lease_s: float
    money_concurrency: int
    webhook_concurrency: int
    reconcile_interval_s: float
    reconcile_grace_s: float
    heartbeat_ttl_s: float
    # Events, their deliveries and attempts' response bodies are purged this many days after
    # they happened (shared/retention.py); 0 keeps them for ever.
    event_retention_days: int
    # AWS: LocalStack, moto or real AWS.
    aws_endpoint_url: str | None
    aws_region: str
    localstack_host: str | None
    secrets_id: str | None
    job_invoker: str
    lambda_function_prefix: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        environment = env.get("GATEWAY_ENV", "local").strip().lower()
        if environment not in {"local", "test", "production"}:
            raise ConfigError(f"GATEWAY_ENV must be local, test or production, got {environment!r}")
        use_test_intervals = _bool(env, "WEBHOOK_RETRY_INTERVALS_TEST", False)
        if env.get("WEBHOOK_RETRY_INTERVALS", "").strip():
            intervals = _intervals(env["WEBHOOK_RETRY_INTERVALS"])
        else:
            intervals = TEST_RETRY_INTERVALS_S if use_test_intervals else PRODUCTION_RETRY_INTERVALS_S
        default_jitter = 0.0 if use_test_intervals else 0.2
        secrets_id = env.get("GATEWAY_SECRETS_ID") or None
        secret_key = env.get("GATEWAY_SECRET_KEY", "")
        encryption_key = env.get("GATEWAY_ENCRYPTION_KEY", "")
        if environment == "production" and not secrets_id and not (secret_key and encryption_key):
            raise ConfigError(
                "GATEWAY_ENV=production needs GATEWAY_SECRETS_ID, or GATEWAY_SECRET_KEY and GATEWAY_ENCRYPTION_KEY"
            )
        job_invoker = env.get("JOB_INVOKER", "inprocess").strip().lower()
        if job_invoker not in {"inprocess", "lambda"}:
            raise ConfigError(f"JOB_INVOKER must be inprocess or lambda, got {job_invoker!r}")
        return cls(
            database_url=env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/gateway"),
            redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            environment=environment,
            allows_private_webhook_targets=_bool(env, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
            secret_key=secret_key or "local-development-secret-key",
            encryption_key=encryption_key or "local-development-encryption-key",
            port=_number(env, "PORT", 8000, int),
            web_concurrency=max(1, _number(env, "WEB_CONCURRENCY", 4, int)),
            cors_allow_origin=env.get("CORS_ALLOW_ORIGIN", "*"),
            max_body_bytes=_number(env, "MAX_BODY_BYTES", 65536, int),
            rate_limit_secret_per_s=_number(env, "RATE_LIMIT_SECRET_PER_S", 100.0, float),
            rate_limit_secret_burst=_number(env, "RATE_LIMIT_SECRET_BURST", 200, int),
            rate_limit_publishable_per_s=_number(env, "RATE_LIMIT_PUBLISHABLE_PER_S", 20.0, float),
            rate_limit_publishable_burst=_number(env, "RATE_LIMIT_PUBLISHABLE_BURST", 40, int),
            http_read_timeout_s=max(0.1, _number(env, "HTTP_READ_TIMEOUT_S", 5.0, float)),
            http_keepalive_s=max(0.1, _number(env, "HTTP_KEEPALIVE_S", 5.0, float)),
            job_status_enabled=_bool(env, "JOB_STATUS_ENABLED", True),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            seed_webhook_url=env.get("SEED_WEBHOOK_URL", "http://localhost:4000/webhook"),
            test_mode=_bool(env, "TEST_MODE", False),
            test_payment_success=_bool(env, "TEST_PAYMENT_SUCCESS", True),
            test_refund_success=_bool(env, "TEST_REFUND_SUCCESS", True),
            test_processing_delay_ms=_number(env, "TEST_PROCESSING_DELAY", 1000, int),
            card_success_rate=min(1.0, _number(env, "CARD_SUCCESS_RATE", 0.95, float)),
            upi_success_rate=min(1.0, _number(env, "UPI_SUCCESS_RATE", 0.90, float)),
            webhook_retry_intervals_s=intervals,
            webhook_retry_jitter=min(1.0, _number(env, "WEBHOOK_RETRY_JITTER", default_jitter, float)),
            webhook_connect_timeout_s=_number(env, "WEBHOOK_CONNECT_TIMEOUT_S", 5.0, float),
            webhook_timeout_s=_number(env, "WEBHOOK_TIMEOUT_S", 10.0, float),
            webhook_response_body_max_bytes=_number(env, "WEBHOOK_RESPONSE_BODY_MAX_BYTES", 4096, int),
            webhook_endpoint_concurrency=max(1, _number(env, "WEBHOOK_ENDPOINT_CONCURRENCY", 8, int)),
            webhook_endpoint_disable_after_s=_number(env, "WEBHOOK_ENDPOINT_DISABLE_AFTER_S", 432000.0, float),
            job_lease_s=max(1.0, _number(env, "JOB_LEASE_S", 60.0, float)),
            money_concurrency=max(1, _number(env, "MONEY_CONCURRENCY", 8, int)),
            webhook_concurrency=max(1, _number(env, "WEBHOOK_CONCURRENCY", 16, int)),
            reconcile_interval_s=_number(env, "RECONCILE_INTERVAL_S", 10.0, float),
            reconcile_grace_s=_number(env, "RECONCILE_GRACE_S", 5.0, float),
            heartbeat_ttl_s=_number(env, "HEARTBEAT_TTL_S", 15.0, float),
            event_retention_days=_number(env, "EVENT_RETENTION_DAYS", 30, int),
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            aws_region=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
            localstack_host=env.get("LOCALSTACK_HOST") or None,
            secrets_id=secrets_id,
            job_invoker=job_invoker,
            lambda_function_prefix=env.get("LAMBDA_FUNCTION_PREFIX", "payment-gateway-dev-"),
        )


@functools.cache
def settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings.from_env(os.environ)
