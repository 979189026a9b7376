from __future__ import annotations

import datetime as dt

import pytest

from shared import webhooks
from shared.config import Settings
from shared.errors import InvalidRequest
from shared.models import DeliveryStatus

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TEST = Settings.from_env({"WEBHOOK_RETRY_INTERVALS_TEST": "true", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"})
PROD = Settings.from_env({"GATEWAY_ENV": "production", "GATEWAY_SECRET_KEY": "k", "GATEWAY_ENCRYPTION_KEY": "e"})


def test_success_settles_the_delivery() -> None:
    assert webhooks.after_attempt(True, 0, "scheduled", TEST, NOW) == (DeliveryStatus.SUCCESS, None)


@pytest.mark.parametrize(("done_before", "wait_s"), [(0, 5), (1, 10), (2, 15), (3, 20)])
def test_failed_scheduled_attempt_waits_the_next_interval(done_before: int, wait_s: int) -> None:
    status, next_at = webhooks.after_attempt(False, done_before, "scheduled", TEST, NOW)

    assert status == DeliveryStatus.PENDING
    assert next_at == NOW + dt.timedelta(seconds=wait_s)


def test_fifth_failed_attempt_on_the_test_schedule_is_final() -> None:
    assert webhooks.after_attempt(False, 4, "scheduled", TEST, NOW) == (DeliveryStatus.FAILED, None)


def test_failed_manual_retry_after_the_schedule_is_final_again() -> None:
    assert webhooks.after_attempt(False, 5, "manual", TEST, NOW) == (DeliveryStatus.FAILED, None)


def test_production_schedule_has_jitter_within_twenty_percent() -> None:
    waits = {(webhooks.after_attempt(False, 1, "scheduled", PROD, NOW)[1] or NOW) - NOW for _ in range(50)}

    assert len(waits) > 1
    assert all(dt.timedelta(seconds=240) <= w <= dt.timedelta(seconds=360) for w in waits)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "http:///nohost", "https://user:pw@example.com/", "x"]
)
def test_only_plain_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(InvalidRequest):
        webhooks.validate_url(url, TEST)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://localhost/",
        "http://100.64.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[::127.0.0.1]/",
    ],
)
def test_non_public_targets_are_refused_unless_allowed(url: str) -> None:
    assert webhooks.validate_url(url, TEST) == url
    with pytest.raises(InvalidRequest):
        webhooks.validate_url(url, PROD)
    result = webhooks.send(url, b"{}", {}, PROD)
    assert result.response_code is None and (result.error or "").startswith("refused")
