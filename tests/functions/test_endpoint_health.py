"""Endpoint health (issue 11): failing endpoints are disabled and the merchant told; recovering
failed deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.models.webhook_endpoints import RECOVER_MAX_AGE_DAYS
from tests.conftest import (
    Api,
    Poller,
    Receiver,
    count,
    create_endpoint,
    payment_body,
    settled_payment,
    wait_until,
)

# One attempt a second, and an endpoint failing for a second is disabled: a whole run takes seconds.
FAST_HEALTH = {"WEBHOOK_RETRY_INTERVALS": "0,1,1,1,1", "WEBHOOK_ENDPOINT_DISABLE_AFTER_S": "1"}


def _endpoint(api: Api, endpoint_id: str) -> dict[str, Any]:
    response = api.get(f"/webhook-endpoints/{endpoint_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _disabled(api: Api, endpoint_id: str) -> dict[str, Any] | None:
    found = _endpoint(api, endpoint_id)
    return None if found["enabled"] else found


def _deliveries(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/webhooks", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _settled(api: Api, endpoint_id: str) -> list[dict[str, Any]] | None:
    found = _deliveries(api, endpoint_id=endpoint_id)
    return found if found and all(d["status"] != "pending" for d in found) else None


def _ago(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).isoformat()


def test_an_endpoint_failing_for_the_whole_period_is_disabled_once_and_the_merchants_other_endpoints_are_told(
    api: Api, live_api: Api, other_api: Api, pollers: Poller, receiver: Receiver
) -> None:
    pollers.start(**FAST_HEALTH)
    receiver.default_status = 500
    failing = create_endpoint(api, receiver.url)
    watcher = Receiver()
    try:
        healthy = create_endpoint(api, watcher.url)
        create_endpoint(live_api, watcher.url)  # the other mode: must not hear of a test endpoint
        create_endpoint(other_api, watcher.url)  # another merchant: must not hear of it either
        api.post("/payments", json=payment_body())  # several events, so several attempts race to disable

        disabled = wait_until(lambda: _disabled(api, failing["id"]), timeout_s=30)

        assert disabled["disabled_reason"].startswith("No attempt succeeded for 1 second: ")
        assert disabled["consecutive_failures"] >= 2 and disabled["failing_since"] is not None
        assert disabled["disabled_at"] is not None
        [notice] = wait_until(lambda: watcher.events("webhook_endpoint.disabled"))
        body = notice.json()
        assert body["livemode"] is False
        assert body["data"]["webhook_endpoint"]["id"] == failing["id"]
        assert body["data"]["webhook_endpoint"]["disabled_reason"] == disabled["disabled_reason"]
        assert "secret" not in body["data"]["webhook_endpoint"]
        # Nothing of the failing endpoint stays pending, and it never hears of its own disabling.
        settled = wait_until(lambda: _settled(api, failing["id"]), timeout_s=30)
        assert any(d["last_error"] == "endpoint disabled" for d in settled)
        assert not [r for r in receiver.events() if r.json()["event"] == "webhook_endpoint.disabled"]
        wait_until(lambda: _settled(api, healthy["id"]))
        assert len(watcher.events("webhook_endpoint.disabled")) == 1
        assert count("SELECT count(*) FROM events WHERE type = 'webhook_endpoint.disabled'") == 1
    finally:
        watcher.close()


def test_a_successful_attempt_ends_the_run_of_failures(api: Api, pollers: Poller, receiver: Receiver) -> None:
    pollers.start(WEBHOOK_RETRY_INTERVALS="0,1,1")  # the default period: days, so never reached here
    endpoint = create_endpoint(api, receiver.url, ["payment.success"])
    receiver.statuses = [500]
    api.post("/payments", json=payment_body())

    failing = wait_until(lambda: (e := _endpoint(api, endpoint["id"]))["consecutive_failures"] == 1 and e)
    assert failing["failing_since"] is not None and failing["enabled"] is True
    wait_until(lambda: [d for d in _deliveries(api, endpoint_id=endpoint["id"]) if d["status"] == "success"])

    healthy = _endpoint(api, endpoint["id"])
    assert (healthy["enabled"], healthy["consecutive_failures"], healthy["failing_since"]) == (True, 0, None)
    assert healthy["disabled_reason"] is None


def test_410_gone_disables_the_endpoint_at_once_and_re_enabling_clears_its_health(
    api: Api, poller: Poller, receiver: Receiver
) -> None:
    receiver.default_status = 410
    endpoint = create_endpoint(api, receiver.url)
    watcher = Receiver()
    try:
        create_endpoint(api, watcher.url, ["webhook_endpoint.disabled"])
        assert api.post(f"/webhook-endpoints/{endpoint['id']}/test").status_code == 202

        disabled = wait_until(lambda: _disabled(api, endpoint["id"]))

        assert "410 Gone" in disabled["disabled_reason"] and disabled["consecutive_failures"] == 1
        [notice] = wait_until(lambda: watcher.events("webhook_endpoint.disabled"))
        assert notice.json()["data"]["webhook_endpoint"]["id"] == endpoint["id"]
        [delivery] = _deliveries(api, endpoint_id=endpoint["id"])
        assert delivery["status"] == "failed" and delivery["response_code"] == 410
        assert len(receiver.events()) == 1  # no retries to a receiver that said it is gone

        enabled = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": True}).json()

        assert enabled["enabled"] is True
        assert (enabled["disabled_reason"], enabled["disabled_at"]) == (None, None)
        assert (enabled["consecutive_failures"], enabled["failing_since"]) == (0, None)
    finally:
        watcher.close()


def test_disabling_by_hand_records_when_but_no_reason(api: Api, receiver: Receiver) -> None:
    endpoint = create_endpoint(api, receiver.url)

    disabled = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False}).json()

    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, None)
    assert disabled["disabled_at"] is not None
    again = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False}).json()
    assert again["disabled_at"] == disabled["disabled_at"]  # disabling twice does not move the time
    assert count("SELECT count(*) FROM events") == 0  # the merchant did it: nobody needs telling


def test_recover_sends_the_failed_deliveries_since_a_time_again(api: Api, pollers: Poller, receiver: Receiver) -> None:
    pollers.start(WEBHOOK_RETRY_INTERVALS="0")  # one attempt, then failed
    receiver.default_status = 503
    endpoint = create_endpoint(api, receiver.url)
    payment = api.post("/payments", json=payment_body()).json()
    settled_payment(api, payment["id"])  # every event of the payment, and so every delivery, exists
    failed = wait_until(lambda: _settled(api, endpoint["id"]))
    assert all(d["status"] == "failed" for d in failed)

    nothing = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": _ago(seconds=0)})
    assert nothing.status_code == 202 and nothing.json()["requeued"] == 0

    receiver.default_status = 200
    response = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": _ago(hours=1)})

    assert response.status_code == 202, response.text
    assert response.json()["entity"] == "webhook_recovery"
    assert (response.json()["requeued"], response.json()["has_more"]) == (len(failed), False)
    done = wait_until(
        lambda: (
            (found := _deliveries(api, endpoint_id=endpoint["id"]))
            and all(d["status"] == "success" for d in found)
            and found
        )
    )
    log = api.get(f"/webhooks/{done[0]['id']}").json()["attempt_log"]
    assert [(a["trigger"], a["response_code"]) for a in log] == [("scheduled", 503), ("manual", 200)]
    again = api.post(f"/webhook-endpoints/{endpoint['id']}/recover", json={"since": _ago(hours=1)})
    assert again.json()["requeued"] == 0  # nothing failed is left


def test_recover_refuses_a_bad_since_a_disabled_endpoint_and_other_merchants_endpoints(
    api: Api, other_api: Api, live_api: Api, receiver: Receiver
) -> None:
    endpoint = create_endpoint(api, receiver.url)
    path = f"/webhook-endpoints/{endpoint['id']}/recover"

    for body in (
        {},
        {"since": None},
        {"since": "yesterday"},
        {"since": "2026-12-01T10:00:00"},  # no time zone: ambiguous
        {"since": _ago(minutes=-5)},
        {"since": _ago(days=RECOVER_MAX_AGE_DAYS, minutes=1)},
        {"since": _ago(hours=1), "until": _ago(minutes=1)},
    ):
        response = api.post(path, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    assert other_api.post(path, json={"since": _ago(hours=1)}).status_code == 404
    assert live_api.post(path, json={"since": _ago(hours=1)}).status_code == 404

    api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    refused = api.post(path, json={"since": _ago(hours=1)})
    assert refused.status_code == 400 and "enable it" in refused.json()["error"]["description"]
