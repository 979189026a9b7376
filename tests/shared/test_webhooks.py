"""Webhook attempts one by one: the retry schedules, what counts as a target, and where we connect."""

from __future__ import annotations

import datetime as dt
import socket
import urllib.parse
from typing import Any

import pytest

from shared import webhooks
from shared.config import Settings
from shared.errors import InvalidRequest
from shared.models.webhook_deliveries import DeliveryStatus
from tests.conftest import Receiver

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


# The README's production schedule after the immediate first attempt: 1 min, 5 min, 30 min, 2 h,
# 5 h, 10 h, 14 h, 20 h, 24 h.
PRODUCTION_WAITS_S = [60, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


@pytest.mark.parametrize(("done_before", "wait_s"), list(enumerate(PRODUCTION_WAITS_S)))
def test_failed_attempt_on_the_production_schedule_waits_its_interval_within_twenty_percent(
    done_before: int, wait_s: int
) -> None:
    outcomes = [webhooks.after_attempt(False, done_before, "scheduled", PROD, NOW) for _ in range(50)]

    assert {status for status, _ in outcomes} == {DeliveryStatus.PENDING}
    waits = {((next_at or NOW) - NOW).total_seconds() for _, next_at in outcomes}
    assert len(waits) > 1  # jittered, so an outage's backlog does not retry in lockstep
    assert all(0.8 * wait_s <= w <= 1.2 * wait_s for w in waits)


def test_tenth_failed_attempt_on_the_production_schedule_is_final() -> None:
    assert webhooks.after_attempt(False, len(PRODUCTION_WAITS_S), "scheduled", PROD, NOW) == (
        DeliveryStatus.FAILED,
        None,
    )


def test_a_failed_manual_retry_in_the_middle_of_the_schedule_neither_advances_nor_stops_it() -> None:
    # Two scheduled attempts failed (the next is due in 10 s); a person retries, and that fails too.
    after_manual = webhooks.after_attempt(False, 2, "manual", TEST, NOW)
    # Had the third scheduled attempt failed instead, the wait would be the same schedule's next: the
    # manual one did not count towards it.
    after_third = webhooks.after_attempt(False, 2, "scheduled", TEST, NOW)

    assert after_manual == (DeliveryStatus.PENDING, NOW + dt.timedelta(seconds=10))
    assert after_third == (DeliveryStatus.PENDING, NOW + dt.timedelta(seconds=15))


def test_a_successful_manual_retry_in_the_middle_of_the_schedule_settles_the_delivery() -> None:
    assert webhooks.after_attempt(True, 2, "manual", TEST, NOW) == (DeliveryStatus.SUCCESS, None)


@pytest.mark.parametrize("settings", [TEST, PROD], ids=["private-targets-allowed", "production"])
def test_an_unresolvable_host_is_a_failed_attempt_that_says_cannot_resolve(settings: Settings) -> None:
    # .invalid never resolves (RFC 6761).
    result = webhooks.send("http://no-such-host.invalid/hook", b"{}", {}, settings)

    assert (result.response_code, result.ok) == (None, False)
    assert "cannot resolve no-such-host.invalid" in (result.error or "")


# example.com's address: public by every rule we check. The test intercepts the connect, so nothing goes there.
PUBLIC_ADDRESS = "93.184.215.14"


def test_an_attempt_connects_to_the_address_it_checked_not_to_a_second_lookup(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """DNS rebinding: the name resolves to a public address when checked, then to loopback."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
    lookups: list[str] = []
    connects: list[str] = []

    def rebinding_dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.example":
            lookups.append(host)
            host = PUBLIC_ADDRESS if len(lookups) == 1 else "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> None:
        connects.append(address[0])
        if address[0] == PUBLIC_ADDRESS:
            raise ConnectionRefusedError  # never leave the machine: all that matters is where it went
        real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(socket.socket, "connect", connect)
    port = urllib.parse.urlsplit(receiver.url).port

    result = webhooks.send(f"http://rebind.example:{port}/webhook", b"{}", {}, PROD)

    assert lookups == ["rebind.example"]  # looked up once, to check it
    assert PUBLIC_ADDRESS in connects and "127.0.0.1" not in connects
    assert (result.response_code, result.error) == (None, "connection refused")
    assert receiver.events() == []


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
