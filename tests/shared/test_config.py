"""Settings: defaults, the two retry schedules, production's secrets, and bad values failing loudly."""

from __future__ import annotations

import pytest

from shared.config import PRODUCTION_RETRY_INTERVALS_S, TEST_RETRY_INTERVALS_S, ConfigError, Settings

pytestmark = pytest.mark.static


def test_defaults_suit_a_local_machine() -> None:
    s = Settings.from_env({})

    assert s.database_url == "postgresql://postgres@127.0.0.1:5432/gateway"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.port == 8000
    assert s.webhook_retry_intervals_s == PRODUCTION_RETRY_INTERVALS_S
    assert s.webhook_retry_jitter == 0.2
    assert not s.allows_private_webhook_targets  # refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS says so
    assert not s.test_mode and s.test_payment_success


def test_production_schedule_spans_about_three_days() -> None:
    assert len(PRODUCTION_RETRY_INTERVALS_S) == 10
    assert 2.5 * 86400 < sum(PRODUCTION_RETRY_INTERVALS_S) < 3.5 * 86400


def test_test_intervals_switch_schedule_and_drop_jitter() -> None:
    s = Settings.from_env({"WEBHOOK_RETRY_INTERVALS_TEST": "true"})

    assert s.webhook_retry_intervals_s == TEST_RETRY_INTERVALS_S == (0, 5, 10, 15, 20)
    assert s.webhook_retry_jitter == 0


def test_custom_schedule_wins() -> None:
    assert Settings.from_env({"WEBHOOK_RETRY_INTERVALS": "0, 1,2.5"}).webhook_retry_intervals_s == (0, 1, 2.5)


def test_production_needs_its_secrets() -> None:
    with pytest.raises(ConfigError, match="GATEWAY_SECRET_KEY"):
        Settings.from_env({"GATEWAY_ENV": "production", "GATEWAY_SECRET_KEY": "k"})
    assert Settings.from_env({"GATEWAY_ENV": "production", "GATEWAY_SECRETS_ID": "gw/prod"}).secrets_id == "gw/prod"


@pytest.mark.parametrize("environment", ["local", "test", "production"])
def test_private_webhook_targets_are_allowed_only_when_asked_for_whatever_the_environment(environment: str) -> None:
    env = {"GATEWAY_ENV": environment, "GATEWAY_SECRET_KEY": "k", "GATEWAY_ENCRYPTION_KEY": "e"}

    assert not Settings.from_env(env).allows_private_webhook_targets
    assert Settings.from_env({**env, "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}).allows_private_webhook_targets


@pytest.mark.parametrize(
    "env",
    [
        {"TEST_MODE": "maybe"},
        {"PORT": "eighty"},
        {"JOB_LEASE_S": "-1"},
        {"WEBHOOK_RETRY_INTERVALS": "a,b"},
        {"GATEWAY_ENV": "staging"},
    ],
)
def test_bad_values_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_rate_limits_default_to_the_review_figures_and_take_zero_for_off() -> None:
    s = Settings.from_env({})
    off = Settings.from_env({"RATE_LIMIT_SECRET_PER_S": "0", "RATE_LIMIT_PUBLISHABLE_BURST": "0"})

    assert (s.rate_limit_secret_per_s, s.rate_limit_secret_burst) == (100, 200)
    assert (s.rate_limit_publishable_per_s, s.rate_limit_publishable_burst) == (20, 40)
    assert off.rate_limit_secret_per_s == 0 and off.rate_limit_publishable_burst == 0
    with pytest.raises(ConfigError, match="RATE_LIMIT_SECRET_BURST"):
        Settings.from_env({"RATE_LIMIT_SECRET_BURST": "2.5"})
