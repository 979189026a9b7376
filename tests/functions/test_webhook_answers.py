"""Odd answers through the whole stack: API, poller, deliver_webhook, the attempt log.

The receivers are the raw sockets of tests/shared/test_webhook_answers.py.
"""

from __future__ import annotations

import socket
from typing import Any

from tests.conftest import Api, Poller, create_endpoint, payment_body, wait_until
from tests.shared.test_webhook_answers import MAX_S, RawReceiver, ok_with, reply, trickle

# Three attempts half a second apart, each with a 2 s deadline.
SCHEDULE = {"WEBHOOK_RETRY_INTERVALS": "0,0.5,0.5", "WEBHOOK_TIMEOUT_S": "2", "WEBHOOK_CONNECT_TIMEOUT_S": "1"}


def _endpoint(api: Api, url: str) -> str:
    return str(create_endpoint(api, url, ["payment.success"])["id"])


def _settled(api: Api, endpoint_id: str) -> dict[str, Any] | None:
    found = api.get("/webhooks", params={"endpoint_id": endpoint_id}).json()["data"]
    return dict(found[0]) if found and found[0]["status"] != "pending" else None


def _attempt_log(api: Api, endpoint_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    delivery = wait_until(lambda: _settled(api, endpoint_id), timeout_s=60)
    return delivery, list(api.get(f"/webhooks/{delivery['id']}").json()["attempt_log"])


def test_a_2xx_with_a_binary_body_succeeds_at_once_with_the_body_escaped_in_the_log(api: Api, pollers: Poller) -> None:
    receiver = RawReceiver(reply(ok_with(b"\x00\x01ok\xff\xfe")), keep_alive=True)
    try:
        pollers.start(**SCHEDULE)
        endpoint_id = _endpoint(api, receiver.url)
        api.post("/payments", json=payment_body())

        delivery, [attempt] = _attempt_log(api, endpoint_id)
    finally:
        receiver.close()

    assert (delivery["status"], delivery["attempts"], delivery["response_code"]) == ("success", 1, 200)
    # NUL and the bytes that are not UTF-8 are escaped; \x01 is valid UTF-8, kept (JSON shows it as \u0001).
    assert attempt["response_body"] == "\\x00\x01ok\\xff\\xfe"
    assert (attempt["response_code"], attempt["error"]) == (200, None)


def _hang_up(conn: socket.socket) -> None:
    pass  # the receiver closes the connection without a word


def test_receivers_that_trickle_or_hang_up_every_time_fail_after_the_schedule_with_every_attempt_logged(
    api: Api, pollers: Poller
) -> None:
    trickler = RawReceiver(trickle(b"", b"HTTP/1.1 200 " + b"O" * 40 + b"\r\n"))
    hanger_up = RawReceiver(_hang_up)
    try:
        pollers.start(**SCHEDULE)
        trickled = _endpoint(api, trickler.url)
        hung_up = _endpoint(api, hanger_up.url)
        api.post("/payments", json=payment_body())

        for endpoint_id, error in ((trickled, "timeout"), (hung_up, "connection closed before a response")):
            delivery, attempts = _attempt_log(api, endpoint_id)

            assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("failed", 3, error)
            assert [(a["response_code"], a["error"]) for a in attempts] == [(None, error)] * 3
            assert all(0 <= a["duration_ms"] <= MAX_S * 1000 for a in attempts)
    finally:
        trickler.close()
        hanger_up.close()
