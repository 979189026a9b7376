"""The webhook endpoints API, and what its settings do to deliveries, through the real server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared import db, signing, webhooks
from shared.config import Settings
from shared.errors import InvalidRequest
from shared.models.events import EventType
from tests.conftest import (
    Api,
    Poller,
    Receiver,
    count,
    create_endpoint,
    payment_body,
    running_api,
    settled_payment,
    wait_until,
)

PRODUCTION = Settings.from_env({"GATEWAY_ENV": "production", "GATEWAY_SECRET_KEY": "x", "GATEWAY_ENCRYPTION_KEY": "e"})
TEST = Settings.from_env({"GATEWAY_ENV": "test", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"})
TEST_DEFAULTS = Settings.from_env({"GATEWAY_ENV": "test"})
ENDPOINT_KEYS = {
    "id",
    "entity",
    "livemode",
    "url",
    "events",
    "enabled",
    "description",
    "secret",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "failing_since",
    "created_at",
    "updated_at",
}


def endpoint_rows() -> int:
    return count("SELECT count(*) FROM webhook_endpoints")


def delivered_event_types(endpoint_id: str) -> list[str]:
    with db.transaction() as tx:
        tx.execute(
            "SELECT event_type FROM webhook_deliveries WHERE endpoint_id = %s ORDER BY event_type", (endpoint_id,)
        )
        return [str(row["event_type"]) for row in tx.fetchall()]


def lower_keys(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def assert_masked(shown: str, full: str) -> None:
    assert shown != full
    assert full not in shown
    assert shown.startswith("whsec_")


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A second receiver, for an endpoint that hears every event while the test watches another."""
    r = Receiver()
    yield r
    r.close()


# ---- create --------------------------------------------------------------------------------


def test_create_endpoint_returns_it_with_the_full_secret_and_every_event(api: Api, receiver: Receiver) -> None:
    response = api.post("/webhook-endpoints", json={"url": receiver.url, "description": "orders service"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == ENDPOINT_KEYS
    assert body["id"].startswith("we_") and body["entity"] == "webhook_endpoint"
    assert body["url"] == receiver.url
    assert sorted(body["events"]) == sorted(EventType) and len(body["events"]) == len(EventType)
    assert body["enabled"] is True
    assert body["description"] == "orders service"
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")


def test_create_endpoint_with_events_keeps_only_those_without_duplicates(api: Api, receiver: Receiver) -> None:
    events = ["refund.processed", "payment.success", "payment.success"]

    body = create_endpoint(api, receiver.url, events=events)

    assert sorted(body["events"]) == ["payment.success", "refund.processed"]


def test_each_endpoint_gets_its_own_secret(api: Api, receiver: Receiver) -> None:
    first = create_endpoint(api, receiver.url)
    second = create_endpoint(api, receiver.url)

    assert first["id"] != second["id"]
    assert first["secret"] != second["secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "url", id="url-missing"),
        pytest.param({"url": None}, "url", id="url-null"),
        pytest.param({"url": ""}, "url", id="url-empty"),
        pytest.param({"url": 42}, "url", id="url-number"),
        pytest.param({"url": "https://example.com/" + "a" * 2048}, "url", id="url-too-long"),
        pytest.param({"url": "ftp://x"}, "url", id="url-ftp"),
        pytest.param({"url": "javascript:alert(1)"}, "url", id="url-javascript"),
        pytest.param({"url": "http:///hook"}, "url", id="url-without-host"),
        pytest.param({"url": "example.com/hook"}, "url", id="url-without-scheme"),
        pytest.param({"url": "https://user:pw@example.com/hook"}, "url", id="url-with-credentials"),
        pytest.param({"url": "https://user@example.com/hook"}, "url", id="url-with-user"),
        pytest.param({"url": "https://example.com:99999/hook"}, "url", id="url-port-out-of-range"),
        pytest.param({"url": "https://example.com/", "events": []}, "events", id="events-empty"),
        pytest.param({"url": "https://example.com/", "events": "payment.success"}, "events", id="events-string"),
        pytest.param({"url": "https://example.com/", "events": ["payment.bogus"]}, "events.0", id="events-unknown"),
        pytest.param({"url": "https://example.com/", "events": ["PAYMENT.SUCCESS"]}, "events.0", id="events-case"),
        pytest.param({"url": "https://example.com/", "description": "d" * 256}, "description", id="description-long"),
        pytest.param({"url": "https://example.com/", "enabled": False}, "enabled", id="enabled-on-create"),
        pytest.param({"url": "https://example.com/", "secret": "whsec_mine"}, "secret", id="secret-on-create"),
        pytest.param({"url": "https://example.com/\u0000"}, None, id="url-with-nul"),
    ],
)
def test_create_endpoint_with_invalid_input_is_rejected(api: Api, body: dict[str, Any], field: str | None) -> None:
    response = api.post("/webhook-endpoints", json=body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST_ERROR" and error["description"]
    assert error["field"] == field
    assert endpoint_rows() == 0


def test_create_endpoint_requires_an_api_key(api: Api, receiver: Receiver) -> None:
    response = api.post("/webhook-endpoints", json={"url": receiver.url}, headers={"X-Api-Key": "key_test_wrong"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert endpoint_rows() == 0


# ---- read ----------------------------------------------------------------------------------


def test_list_endpoints_masks_every_secret(api: Api, receiver: Receiver) -> None:
    created = [create_endpoint(api, receiver.url, description=f"n{i}") for i in range(3)]

    response = api.get("/webhook-endpoints")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "total"}
    assert body["total"] == 3
    assert [e["id"] for e in body["data"]] == [e["id"] for e in created]
    for listed, full in zip(body["data"], created, strict=True):
        assert set(listed) == ENDPOINT_KEYS
        assert_masked(listed["secret"], full["secret"])
    for full in created:
        assert full["secret"] not in response.text


def test_get_endpoint_masks_the_secret_unless_revealed(api: Api, endpoint: dict[str, Any]) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"

    masked = api.get(path)
    revealed = api.get(path, params={"reveal_secret": "true"})

    assert masked.status_code == 200 and revealed.status_code == 200
    assert_masked(masked.json()["secret"], endpoint["secret"])
    assert endpoint["secret"] not in masked.text
    assert revealed.json()["secret"] == endpoint["secret"]
    assert {k: v for k, v in masked.json().items() if k != "secret"} == {
        k: v for k, v in endpoint.items() if k != "secret"
    }


def test_reveal_secret_false_masks_the_secret(api: Api, endpoint: dict[str, Any]) -> None:
    response = api.get(f"/webhook-endpoints/{endpoint['id']}", params={"reveal_secret": "false"})

    assert response.status_code == 200
    assert_masked(response.json()["secret"], endpoint["secret"])


@pytest.mark.parametrize("value", ["1", "TRUE", "yes", ""])
def test_reveal_secret_is_true_or_false_and_nothing_else(api: Api, endpoint: dict[str, Any], value: str) -> None:
    # Refused rather than read as false: a caller who sent "1" meant to see the secret.
    response = api.get(f"/webhook-endpoints/{endpoint['id']}", params={"reveal_secret": value})

    assert response.status_code == 400 and response.json()["error"]["field"] == "reveal_secret"
    assert endpoint["secret"] not in response.text


@pytest.mark.parametrize("endpoint_id", ["we_doesnotexist", "whd_abc", "x" * 300, "we_%27%3B"])
def test_unknown_and_malformed_endpoint_ids_are_not_found(api: Api, endpoint_id: str) -> None:
    for response in (
        api.get(f"/webhook-endpoints/{endpoint_id}"),
        api.patch(f"/webhook-endpoints/{endpoint_id}", json={"enabled": False}),
        api.delete(f"/webhook-endpoints/{endpoint_id}"),
        api.post(f"/webhook-endpoints/{endpoint_id}/rotate-secret"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"


# ---- update --------------------------------------------------------------------------------


def test_patch_changes_each_field_and_masks_the_secret(api: Api, endpoint: dict[str, Any], receiver: Receiver) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"
    new_url = receiver.url + "?v=2"

    changes: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"url": new_url}, {"url": new_url}),
        ({"events": ["payment.failed", "payment.success"]}, {"events": ["payment.failed", "payment.success"]}),
        ({"enabled": False}, {"enabled": False}),
        ({"description": "renamed"}, {"description": "renamed"}),
        ({"description": None}, {"description": None}),
        ({"enabled": True}, {"enabled": True}),
    ]
    for patch, expected in changes:
        response = api.patch(path, json=patch)
        assert response.status_code == 200, (patch, response.text)
        body = response.json()
        for key, value in expected.items():
            assert body[key] == value, (patch, body)
        assert_masked(body["secret"], endpoint["secret"])

    final = api.get(path, params={"reveal_secret": "true"}).json()
    assert final["url"] == new_url
    assert sorted(final["events"]) == ["payment.failed", "payment.success"]
    assert final["enabled"] is True and final["description"] is None
    assert final["secret"] == endpoint["secret"]
    assert final["created_at"] == endpoint["created_at"]


def test_patch_with_empty_body_changes_nothing(api: Api, endpoint: dict[str, Any]) -> None:
    response = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={})

    assert response.status_code == 200, response.text
    assert {k: v for k, v in response.json().items() if k != "secret"} == {
        k: v for k, v in endpoint.items() if k != "secret"
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        pytest.param({"url": None}, None, id="url-null"),
        pytest.param({"events": None}, None, id="events-null"),
        pytest.param({"enabled": None}, None, id="enabled-null"),
        pytest.param({"events": ["payment.bogus"]}, "events.0", id="events-unknown"),
        pytest.param({"events": []}, "events", id="events-empty"),
        pytest.param({"enabled": "false"}, "enabled", id="enabled-string"),
        pytest.param({"enabled": 0}, "enabled", id="enabled-number"),
        pytest.param({"url": "ftp://x"}, "url", id="url-ftp"),
        pytest.param({"url": "javascript:alert(1)"}, "url", id="url-javascript"),
        pytest.param({"url": "http://"}, "url", id="url-without-host"),
        pytest.param({"url": "https://user:pw@example.com/"}, "url", id="url-with-credentials"),
        pytest.param({"url": ""}, "url", id="url-empty"),
        pytest.param({"secret": "whsec_mine"}, "secret", id="secret"),
        pytest.param({"description": "d" * 256}, "description", id="description-long"),
    ],
)
def test_patch_with_invalid_input_is_rejected_and_changes_nothing(
    api: Api, endpoint: dict[str, Any], patch: dict[str, Any], field: str | None
) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"

    response = api.patch(path, json=patch)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST_ERROR"
    assert error["field"] == field
    after = api.get(path, params={"reveal_secret": "true"}).json()
    assert after == endpoint


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null"])
def test_patch_with_a_body_that_is_not_an_object_is_rejected(api: Api, endpoint: dict[str, Any], body: bytes) -> None:
    response = api.patch(f"/webhook-endpoints/{endpoint['id']}", data=body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


# ---- delete and rotate ---------------------------------------------------------------------


def test_deleted_endpoint_is_gone_from_every_route(api: Api, endpoint: dict[str, Any], receiver: Receiver) -> None:
    keep = create_endpoint(api, receiver.url)
    path = f"/webhook-endpoints/{endpoint['id']}"

    response = api.delete(path)

    assert response.status_code == 200, response.text
    assert response.json()["deleted"] is True and response.json()["id"] == endpoint["id"]
    assert api.get(path).status_code == 404
    assert api.get(path, params={"reveal_secret": "true"}).status_code == 404
    listed = api.get("/webhook-endpoints").json()
    assert [e["id"] for e in listed["data"]] == [keep["id"]] and listed["total"] == 1
    for again in (
        api.delete(path),
        api.patch(path, json={"enabled": True}),
        api.post(f"{path}/rotate-secret"),
    ):
        assert again.status_code == 404, again.text
        assert again.json()["error"]["code"] == "NOT_FOUND_ERROR"


def test_a_deleted_endpoints_delivery_log_stays_readable(
    api: Api, poller: Poller, endpoint: dict[str, Any], receiver: Receiver
) -> None:
    api.post("/payments", json=payment_body())
    wait_until(lambda: count("SELECT count(*) FROM webhook_deliveries WHERE status = 'success'") == 3)
    before = api.get("/webhooks", params={"endpoint_id": endpoint["id"]}).json()

    assert api.delete(f"/webhook-endpoints/{endpoint['id']}").status_code == 200

    after = api.get("/webhooks", params={"endpoint_id": endpoint["id"]}).json()
    assert after == before and after["total"] == 3
    for delivery in after["data"]:
        detail = api.get(f"/webhooks/{delivery['id']}")
        assert detail.status_code == 200, detail.text
        assert detail.json()["endpoint_id"] == endpoint["id"] and len(detail.json()["attempt_log"]) == 1
        assert detail.json()["payload"]["event"] == delivery["event"]


def test_rotate_secret_returns_a_new_full_secret(api: Api, endpoint: dict[str, Any]) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"

    response = api.post(f"{path}/rotate-secret")

    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["id"] == endpoint["id"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    assert len(base64.b64decode(rotated["secret"].removeprefix("whsec_"))) == 32
    assert api.get(path, params={"reveal_secret": "true"}).json()["secret"] == rotated["secret"]
    assert_masked(api.get(path).json()["secret"], rotated["secret"])
    again = api.post(f"{path}/rotate-secret").json()
    assert again["secret"] not in (endpoint["secret"], rotated["secret"])


def test_another_merchant_cannot_see_or_touch_the_endpoint(api: Api, other_api: Api, endpoint: dict[str, Any]) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"

    responses = [
        other_api.get(path),
        other_api.get(path, params={"reveal_secret": "true"}),
        other_api.patch(path, json={"enabled": False, "url": "https://1.1.1.1/stolen"}),
        other_api.post(f"{path}/rotate-secret"),
        other_api.delete(path),
    ]

    for response in responses:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"
        assert endpoint["secret"] not in response.text
    assert other_api.get("/webhook-endpoints").json() == {"data": [], "total": 0}
    assert api.get(path, params={"reveal_secret": "true"}).json() == endpoint


# ---- what the settings do to deliveries ----------------------------------------------------


def test_endpoint_subscribed_to_payment_success_receives_only_that(
    api: Api, poller: Poller, receiver: Receiver, other_receiver: Receiver
) -> None:
    only_success = create_endpoint(api, receiver.url, events=["payment.success"])
    create_endpoint(api, other_receiver.url)  # hears everything: tells us when the rest has gone out
    payment = api.post("/payments", json=payment_body()).json()

    assert settled_payment(api, payment["id"])["status"] == "success"
    wait_until(lambda: {"payment.created", "payment.pending", "payment.success"} <= set(names(other_receiver)))
    wait_until(lambda: receiver.events("payment.success"))

    assert delivered_event_types(only_success["id"]) == ["payment.success"]
    assert names(receiver) == ["payment.success"]
    assert receiver.events()[0].json()["data"]["payment"]["id"] == payment["id"]


def names(receiver: Receiver) -> list[str]:
    return [str(r.json()["event"]) for r in receiver.events()]


@pytest.mark.parametrize("switch_off", ["disable", "delete"])
def test_disabled_or_deleted_endpoint_receives_nothing_for_new_payments(
    api: Api,
    poller: Poller,
    endpoint: dict[str, Any],
    receiver: Receiver,
    other_receiver: Receiver,
    switch_off: str,
) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"
    if switch_off == "disable":
        response = api.patch(path, json={"enabled": False})
        assert response.status_code == 200 and response.json()["enabled"] is False
    else:
        assert api.delete(path).status_code == 200
    create_endpoint(api, other_receiver.url)
    payment = api.post("/payments", json=payment_body()).json()

    settled_payment(api, payment["id"])
    wait_until(lambda: other_receiver.events("payment.success"))

    assert receiver.events() == []
    assert delivered_event_types(endpoint["id"]) == []


def test_re_enabled_endpoint_receives_new_payments_again(
    api: Api, poller: Poller, endpoint: dict[str, Any], receiver: Receiver
) -> None:
    path = f"/webhook-endpoints/{endpoint['id']}"
    api.patch(path, json={"enabled": False})
    api.patch(path, json={"enabled": True})

    payment = api.post("/payments", json=payment_body()).json()

    sent = wait_until(lambda: receiver.events("payment.success"))
    assert sent[0].json()["data"]["payment"]["id"] == payment["id"]


def test_deliveries_are_signed_with_the_endpoint_secret(
    api: Api, poller: Poller, endpoint: dict[str, Any], receiver: Receiver
) -> None:
    api.post("/payments", json=payment_body())

    sent = wait_until(lambda: receiver.events("payment.created"))[0]

    headers = lower_keys(sent.headers)
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    assert (
        headers["x-webhook-signature"] == hmac.new(endpoint["secret"].encode(), sent.body, hashlib.sha256).hexdigest()
    )
    assert Webhook(endpoint["secret"]).verify(sent.body, headers)["event"] == "payment.created"


def test_after_rotation_deliveries_are_signed_with_the_new_and_the_old_secret(
    api: Api, poller: Poller, endpoint: dict[str, Any], receiver: Receiver
) -> None:
    old_secret = endpoint["secret"]
    new_secret = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()["secret"]

    api.post("/payments", json=payment_body())
    sent = wait_until(lambda: receiver.events("payment.created"))[0]

    headers = lower_keys(sent.headers)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    timestamp = int(headers["webhook-timestamp"])
    assert signatures == [
        signing.standard_signature(new_secret, headers["webhook-id"], timestamp, sent.body),
        signing.standard_signature(old_secret, headers["webhook-id"], timestamp, sent.body),
    ]
    assert headers["x-webhook-signature"] == hmac.new(new_secret.encode(), sent.body, hashlib.sha256).hexdigest()
    assert Webhook(new_secret).verify(sent.body, headers)["event"] == "payment.created"
    assert Webhook(old_secret).verify(sent.body, headers)["event"] == "payment.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(sent.body, headers)


def test_after_the_overlap_only_the_new_secret_signs(
    api: Api, poller: Poller, endpoint: dict[str, Any], receiver: Receiver
) -> None:
    old_secret = endpoint["secret"]
    new_secret = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()["secret"]
    with db.transaction() as tx:  # the 24 hours of overlap are over
        tx.execute(
            "UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = %s",
            (endpoint["id"],),
        )

    api.post("/payments", json=payment_body())
    sent = wait_until(lambda: receiver.events("payment.created"))[0]

    headers = lower_keys(sent.headers)
    assert " " not in headers["webhook-signature"]  # one signature
    assert Webhook(new_secret).verify(sent.body, headers)["event"] == "payment.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(sent.body, headers)
    assert headers["x-webhook-signature"] == hmac.new(new_secret.encode(), sent.body, hashlib.sha256).hexdigest()


# ---- private targets are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true -----------------

PRIVATE_URLS = [
    "http://127.0.0.1/x",
    "http://127.1/x",
    "http://2130706433/x",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/",
    "https://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://localhost/",
    "http://localhost:8080/hook",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_production_refuses_urls_resolving_to_private_addresses(url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        webhooks.validate_url(url, PRODUCTION)

    assert refused.value.field == "url"
    assert refused.value.status == 400


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_urls_are_refused_by_default_outside_production_too(url: str) -> None:
    with pytest.raises(InvalidRequest):
        webhooks.validate_url(url, TEST_DEFAULTS)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost:4000/webhook", "http://10.0.0.1/"])
def test_private_urls_are_allowed_when_asked_for(url: str) -> None:
    assert webhooks.validate_url(url, TEST) == url


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://exa mple.com/", "http://" + "a" * 64 + ".example/", "http://no-such-host.invalid/"],
)
def test_a_url_whose_host_does_not_parse_or_resolve_is_a_400(api: Api, url: str) -> None:
    created = api.post("/webhook-endpoints", json={"url": url})
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/x"}).json()
    patched = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"url": url})

    for answer in (created, patched):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "url"


def test_production_accepts_a_public_ip_literal() -> None:
    # Resolving an IP literal is local: nothing is looked up or contacted.
    assert webhooks.validate_url("https://1.1.1.1/hook", PRODUCTION) == "https://1.1.1.1/hook"


@pytest.mark.parametrize("url", ["ftp://x", "javascript:alert(1)", "http:///x", "https://u:p@1.1.1.1/"])
def test_production_still_refuses_malformed_urls(url: str) -> None:
    with pytest.raises(InvalidRequest):
        webhooks.validate_url(url, PRODUCTION)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if ``send`` gets as far as opening a connection pool."""

    def refuse(*args: Any) -> Any:
        raise AssertionError(f"send tried to connect: {args}")

    monkeypatch.setattr(webhooks, "_pool", refuse)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "http://169.254.169.254/latest", "http://[::1]/", "http://localhost/"]
)
def test_send_in_production_refuses_private_targets_without_connecting(no_connections: None, url: str) -> None:
    result = webhooks.send(url, b"{}", {}, PRODUCTION)

    assert result.response_code is None
    assert result.error is not None and result.error.startswith("refused")
    assert result.ok is False


def test_send_in_production_refuses_the_loopback_receiver(receiver: Receiver) -> None:
    result = webhooks.send(receiver.url, b'{"event":"payment.created"}', {}, PRODUCTION)

    assert result.response_code is None
    assert result.error is not None and result.error.startswith("refused")
    assert receiver.events() == []


def test_send_outside_production_reaches_the_loopback_receiver(receiver: Receiver) -> None:
    result = webhooks.send(receiver.url, b'{"event":"payment.created"}', {"webhook-id": "evt_1"}, TEST)

    assert result.ok and result.response_code == 200 and result.error is None
    assert receiver.events("payment.created")[0].headers["webhook-id"] == "evt_1"


@pytest.fixture(scope="module")
def default_api_url(database: None) -> Iterator[str]:
    """An API server with the defaults a deployment has: private webhook targets refused."""
    with running_api(WEBHOOK_ALLOW_PRIVATE_TARGETS="false") as base:
        yield base


@pytest.fixture(scope="module")
def production_api_url(database: None) -> Iterator[str]:
    """An API server in production mode (with the development keys, so the seeded API key still works)."""
    with running_api(
        GATEWAY_ENV="production",
        GATEWAY_SECRET_KEY="local-development-secret-key",
        GATEWAY_ENCRYPTION_KEY="local-development-encryption-key",
        WEBHOOK_ALLOW_PRIVATE_TARGETS="false",
    ) as base:
        yield base


@pytest.mark.parametrize("server", ["default_api_url", "production_api_url"])
@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://localhost:4000/webhook"])
def test_a_deployed_server_refuses_private_targets_on_create_and_update(
    request: pytest.FixtureRequest, server: str, url: str
) -> None:
    api = Api(request.getfixturevalue(server))
    created = api.post("/webhook-endpoints", json={"url": url})
    endpoint = api.post("/webhook-endpoints", json={"url": "https://1.1.1.1/hook"}).json()
    patched = api.patch(f"/webhook-endpoints/{endpoint['id']}", json={"url": url})

    for answer in (created, patched):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "url" and "not allowed" in answer.json()["error"]["description"]
