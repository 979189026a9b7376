"""Live and test mode: every object lives in the mode of the key that made it, and is invisible to
keys of the other mode; test instruments work in test mode only."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from shared import auth, db, seed
from shared.db import api_keys
from tests.conftest import CARD, Api, Poller, Receiver, payment_body, scalar, settled_payment, wait_until

# Valid card numbers that are not test instruments: the simulated acquirer treats them as real.
REAL_CARD = {**CARD, "number": "4012888888881881"}
REAL_VPA = "asha.rao@okbank"
LIVE_DECLINE = "TEST_INSTRUMENT_IN_LIVE_MODE"
# The README's test instruments: request fields and their documented outcome in test mode.
TEST_INSTRUMENTS: list[tuple[dict[str, Any], str, str | None]] = [
    ({"card": {**CARD, "number": "4111111111111111"}}, "success", None),
    ({"card": {**CARD, "number": "4242 4242 4242 4242"}}, "success", None),
    ({"card": {**CARD, "number": "4000000000000002"}}, "failed", "CARD_DECLINED"),
    ({"card": {**CARD, "number": "4000000000009995"}}, "failed", "INSUFFICIENT_FUNDS"),
    ({"method": "upi", "card": None, "vpa": "success@upi"}, "success", None),
    ({"method": "upi", "card": None, "vpa": "failure@upi"}, "failed", "UPI_PAYMENT_FAILED"),
]


def _issue(kind: auth.KeyKind, livemode: bool) -> str:
    with db.transaction() as tx:
        return auth.issue_key(tx, seed.MERCHANT_ID, kind, livemode)


@pytest.fixture
def live_public_api(api_url: str) -> Api:
    return Api(api_url, key=_issue(auth.KeyKind.PUBLISHABLE, True))


@pytest.fixture
def live_receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _body(**overrides: Any) -> dict[str, Any]:
    body = payment_body(**overrides)
    return {k: v for k, v in body.items() if v is not None}


def _created(api: Api, path: str, body: dict[str, Any] | None = None, status: int = 201) -> dict[str, Any]:
    response = api.post(path, json=body if body is not None else {})
    assert response.status_code == status, response.text
    return dict(response.json())


def _made_in(maker: Api, receiver: Receiver) -> dict[str, str]:
    """One object of every kind, made with ``maker``'s key: a settled payment, a refund, an endpoint
    and a delivery to it."""
    endpoint = _created(maker, "/webhook-endpoints", {"url": receiver.url, "events": ["payment.success"]})
    payment = _created(maker, "/payments", _body(card=REAL_CARD, order_id="order_made"))
    assert settled_payment(maker, payment["id"])["status"] == "success"
    refund = _created(maker, f"/payments/{payment['id']}/refunds", {"amount": 100})
    [delivery] = wait_until(lambda: maker.get("/webhooks", params={"endpoint_id": endpoint["id"]}).json()["data"])
    wait_until(lambda: maker.get(f"/webhooks/{delivery['id']}").json()["status"] == "success")
    return {"payment": payment["id"], "refund": refund["id"], "endpoint": endpoint["id"], "delivery": delivery["id"]}


def _pair(request: pytest.FixtureRequest, maker: str, viewer: str) -> tuple[Api, Api]:
    return request.getfixturevalue(maker), request.getfixturevalue(viewer)


# ---- isolation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("maker_name", "viewer_name"), [("api", "live_api"), ("live_api", "api")])
def test_objects_of_one_mode_are_not_found_with_a_key_of_the_other(
    request: pytest.FixtureRequest, maker_name: str, viewer_name: str, poller: Poller, receiver: Receiver
) -> None:
    maker, viewer = _pair(request, maker_name, viewer_name)
    made = _made_in(maker, receiver)
    pay, rfnd, we, whd = made["payment"], made["refund"], made["endpoint"], made["delivery"]
    attempts_before = scalar("SELECT attempts FROM webhook_deliveries WHERE id = %s", whd)

    for method, path, body in [
        ("GET", f"/payments/{pay}", None),
        ("POST", f"/payments/{pay}/capture", {}),
        ("POST", f"/payments/{pay}/refunds", {"amount": 100}),
        ("GET", f"/payments/{pay}/refunds", None),
        ("GET", f"/refunds/{rfnd}", None),
        ("GET", f"/webhook-endpoints/{we}", None),
        ("PATCH", f"/webhook-endpoints/{we}", {"enabled": False}),
        ("POST", f"/webhook-endpoints/{we}/rotate-secret", {}),
        ("POST", f"/webhook-endpoints/{we}/test", {}),
        ("DELETE", f"/webhook-endpoints/{we}", None),
        ("GET", f"/webhooks/{whd}", None),
        ("POST", f"/webhooks/{whd}/retry", {}),
    ]:
        response = viewer.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"

    # Lists in the other mode are empty, whatever the filter.
    assert viewer.get("/payments").json()["total"] == 0
    assert viewer.get("/payments", params={"order_id": "order_made"}).json()["total"] == 0
    assert viewer.get("/webhook-endpoints").json() == {"data": [], "total": 0}
    assert viewer.get("/webhooks").json()["total"] == 0
    assert viewer.get("/webhooks", params={"endpoint_id": we}).json()["total"] == 0
    # Nothing the other mode tried changed anything: one refund, not captured, endpoint and
    # delivery as they were.
    assert maker.get(f"/payments/{pay}").json()["captured"] is False
    assert maker.get(f"/payments/{pay}/refunds").json()["total"] == 1
    assert maker.get(f"/webhook-endpoints/{we}").json()["enabled"] is True
    assert scalar("SELECT previous_secret IS NULL FROM webhook_endpoints WHERE id = %s", we) is True
    assert scalar("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = %s", we) == 1
    assert scalar("SELECT attempts FROM webhook_deliveries WHERE id = %s", whd) == attempts_before
    assert maker.get(f"/webhooks/{whd}").json()["status"] == "success"
    assert maker.get("/payments").json()["total"] == 1


def test_a_publishable_key_reads_only_payments_of_its_mode(api: Api, live_public_api: Api, api_url: str) -> None:
    test_public = Api(api_url, key=seed.PUBLISHABLE_KEY)
    live_payment = _created(live_public_api, "/payments", _body(card=REAL_CARD))
    test_payment = _created(test_public, "/payments", _body(card=REAL_CARD))

    assert live_payment["livemode"] is True and test_payment["livemode"] is False
    assert live_public_api.get(f"/payments/{live_payment['id']}").status_code == 200
    assert live_public_api.get(f"/payments/{test_payment['id']}").status_code == 404
    assert test_public.get(f"/payments/{live_payment['id']}").status_code == 404
    assert api.get(f"/payments/{live_payment['id']}").status_code == 404
    # Still a publishable key: nothing but creating and reading payments.
    assert live_public_api.get("/payments").status_code == 403


def test_idempotency_keys_are_not_shared_across_modes(api: Api, live_api: Api) -> None:
    headers = {"Idempotency-Key": "order-42-attempt-1"}

    test_first = api.post("/payments", json=_body(card=REAL_CARD), headers=headers)
    live_first = live_api.post("/payments", json=_body(card=REAL_CARD), headers=headers)
    test_again = api.post("/payments", json=_body(card=REAL_CARD), headers=headers)
    live_again = live_api.post("/payments", json=_body(card=REAL_CARD), headers=headers)

    assert test_first.status_code == 201 and live_first.status_code == 201
    assert "Idempotent-Replayed" not in live_first.headers
    assert live_first.json()["id"] != test_first.json()["id"]
    assert live_first.json()["livemode"] is True and test_first.json()["livemode"] is False
    # Each mode replays its own answer.
    assert test_again.headers["Idempotent-Replayed"] == "true" and test_again.text == test_first.text
    assert live_again.headers["Idempotent-Replayed"] == "true" and live_again.text == live_first.text
    assert scalar("SELECT count(*) FROM payments") == 2
    assert scalar("SELECT count(*) FROM idempotency_keys WHERE key = 'order-42-attempt-1'") == 2


def test_idempotency_key_used_in_one_mode_takes_a_different_body_in_the_other(api: Api, live_api: Api) -> None:
    headers = {"Idempotency-Key": "shared-key"}

    assert api.post("/payments", json=_body(amount=100), headers=headers).status_code == 201
    live = live_api.post("/payments", json=_body(card=REAL_CARD, amount=200), headers=headers)

    assert live.status_code == 201 and live.json()["amount"] == 200
    assert api.post("/payments", json=_body(amount=999), headers=headers).status_code == 422


# ---- events and webhooks -----------------------------------------------------------------------


def _assert_mode(obj: dict[str, Any], livemode: bool) -> None:
    assert obj["livemode"] is livemode, obj


def _got_exactly(receiver: Receiver, event_types: set[str]) -> bool:
    return {r.json()["event"] for r in receiver.events()} == event_types


def _deliveries(client: Api) -> list[dict[str, Any]]:
    return list(client.get("/webhooks").json()["data"])


def test_events_reach_only_endpoints_of_their_mode_and_say_their_mode(
    api: Api, live_api: Api, poller: Poller, receiver: Receiver, live_receiver: Receiver
) -> None:
    test_endpoint = _created(api, "/webhook-endpoints", {"url": receiver.url})
    live_endpoint = _created(live_api, "/webhook-endpoints", {"url": live_receiver.url})
    made: dict[bool, set[str]] = {}
    for client, livemode in ((api, False), (live_api, True)):
        payment = _created(client, "/payments", _body(card=REAL_CARD))
        settled_payment(client, payment["id"])
        assert client.post(f"/payments/{payment['id']}/capture").status_code == 200
        refund = _created(client, f"/payments/{payment['id']}/refunds", {"amount": 500})
        made[livemode] = {payment["id"], refund["id"]}
    _created(live_api, f"/webhook-endpoints/{live_endpoint['id']}/test", status=202)
    _created(api, f"/webhook-endpoints/{test_endpoint['id']}/test", status=202)

    expected = {
        "payment.created",
        "payment.pending",
        "payment.success",
        "payment.captured",
        "refund.created",
        "refund.processed",
        "webhook.test",
    }
    for rx, livemode in ((receiver, False), (live_receiver, True)):
        wait_until(partial(_got_exactly, rx, expected))
        for request in rx.events():
            body = request.json()
            assert body["livemode"] is livemode, body
            obj = body["data"].get("payment") or body["data"].get("refund")
            if obj is not None:
                assert obj["livemode"] is livemode and obj["id"] in made[livemode], body
    # Each mode's delivery log holds its own endpoint's deliveries, each saying its mode.
    for client, endpoint, livemode in ((api, test_endpoint, False), (live_api, live_endpoint, True)):
        deliveries = client.get("/webhooks", params={"limit": 100}).json()["data"]
        assert len(deliveries) == len(expected)
        assert {d["endpoint_id"] for d in deliveries} == {endpoint["id"]}
        for delivery in deliveries:
            _assert_mode(delivery, livemode)
        shown = client.get(f"/webhooks/{deliveries[0]['id']}").json()
        _assert_mode(shown, livemode)
        _assert_mode(shown["payload"], livemode)
        _assert_mode(client.post(f"/webhooks/{deliveries[0]['id']}/retry").json(), livemode)


def test_every_shape_says_its_mode(api: Api, live_api: Api, poller: Poller, receiver: Receiver) -> None:
    for client, livemode in ((api, False), (live_api, True)):
        endpoint = _created(client, "/webhook-endpoints", {"url": receiver.url, "events": ["refund.created"]})
        path = f"/webhook-endpoints/{endpoint['id']}"
        for shown in (
            endpoint,
            client.get(path).json(),
            client.get("/webhook-endpoints").json()["data"][0],
            client.patch(path, json={"description": "orders"}).json(),
            _created(client, f"{path}/rotate-secret", status=200),
        ):
            _assert_mode(shown, livemode)

        payment = _created(client, "/payments", _body(card=REAL_CARD))
        for shown in (payment, settled_payment(client, payment["id"]), client.get("/payments").json()["data"][0]):
            _assert_mode(shown, livemode)
        _assert_mode(_created(client, f"/payments/{payment['id']}/capture", status=200), livemode)

        refund = _created(client, f"/payments/{payment['id']}/refunds", {"amount": 1})
        for shown in (
            refund,
            client.get(f"/refunds/{refund['id']}").json(),
            client.get(f"/payments/{payment['id']}/refunds").json()["data"][0],
        ):
            _assert_mode(shown, livemode)

        [delivery] = wait_until(partial(_deliveries, client))
        _assert_mode(delivery, livemode)
        _assert_mode(_created(client, f"{path}/test", status=202), livemode)
        deleted = client.delete(path).json()
        assert deleted == {"id": endpoint["id"], "entity": "webhook_endpoint", "livemode": livemode, "deleted": True}


def test_the_job_status_counts_only_the_work_of_the_keys_merchant_and_mode(
    api: Api, live_api: Api, other_api: Api, api_url: str, pollers: Poller
) -> None:
    for _ in range(2):
        _created(api, "/payments", _body())
    _created(live_api, "/payments", _body(card=REAL_CARD))
    publishable, keyless = Api(api_url, key=seed.PUBLISHABLE_KEY), Api(api_url, key="")

    def status(client: Api) -> dict[str, Any]:
        answer = client.get("/test/jobs/status")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    waiting = {"pending": 2, "processing": 0, "parked": 0, "completed": 0, "failed": 0, "livemode": False}
    assert status(api).items() >= waiting.items()
    assert status(publishable).items() >= waiting.items()
    assert status(live_api).items() >= {"pending": 1, "completed": 0, "livemode": True}.items()
    assert status(other_api).items() >= {"pending": 0, "completed": 0, "livemode": False}.items()
    assert status(keyless).items() >= {"pending": 3, "livemode": None}.items()  # the whole queue, counts only
    assert Api(api_url, key="key_test_made_up").get("/test/jobs/status").status_code == 401

    pollers.start()
    wait_until(lambda: status(api).items() >= {"pending": 0, "completed": 2}.items())
    wait_until(lambda: status(live_api).items() >= {"pending": 0, "completed": 1}.items())
    assert status(other_api)["completed"] == 0 and status(api)["worker_status"] == "running"


# ---- the simulated acquirer ----------------------------------------------------------------------


def test_test_instruments_give_their_documented_outcomes_in_test_mode(api: Api, poller: Poller) -> None:
    created = [(_created(api, "/payments", _body(**fields)), status, code) for fields, status, code in TEST_INSTRUMENTS]

    for payment, status, code in created:
        settled = settled_payment(api, payment["id"])
        assert (settled["status"], settled["error_code"], settled["livemode"]) == (status, code, False), settled


def test_test_instruments_are_declined_in_live_mode(
    live_api: Api, live_public_api: Api, poller: Poller, live_receiver: Receiver
) -> None:
    _created(live_api, "/webhook-endpoints", {"url": live_receiver.url, "events": ["payment.failed"]})
    created = [_created(live_api, "/payments", _body(**fields)) for fields, _, _ in TEST_INSTRUMENTS]
    created.append(_created(live_public_api, "/payments", _body()))  # from a checkout page
    created.append(_created(live_api, "/payments", _body(method="upi", card=None, vpa="SUCCESS@upi")))

    for payment in created:
        settled = settled_payment(live_api, payment["id"])
        assert settled["status"] == "failed" and settled["error_code"] == LIVE_DECLINE, settled
        assert "test keys" in settled["error_description"] and "real card" in settled["error_description"]
        assert settled["livemode"] is True
    failed = wait_until(lambda: len(live_receiver.events("payment.failed")) == len(created) and live_receiver.events())
    assert {r.json()["data"]["payment"]["error_code"] for r in failed} == {LIVE_DECLINE}


def test_a_real_card_or_vpa_in_live_mode_is_processed(live_api: Api, poller: Poller) -> None:
    card = _created(live_api, "/payments", _body(card=REAL_CARD))
    upi = _created(live_api, "/payments", _body(method="upi", card=None, vpa=REAL_VPA))

    for payment in (card, upi):
        settled = settled_payment(live_api, payment["id"])
        assert settled["status"] == "success" and settled["livemode"] is True, settled
    assert _created(live_api, f"/payments/{card['id']}/capture", status=200)["captured"] is True
    refund = _created(live_api, f"/payments/{card['id']}/refunds", {"amount": 1000})
    wait_until(lambda: live_api.get(f"/refunds/{refund['id']}").json()["status"] == "processed")
    assert live_api.get(f"/payments/{card['id']}").json()["amount_refunded"] == 1000


def test_a_real_card_in_live_mode_follows_the_simulation_like_any_other(live_api: Api, pollers: Poller) -> None:
    pollers.start(TEST_PAYMENT_SUCCESS="false")
    payment = _created(live_api, "/payments", _body(card=REAL_CARD))

    settled = settled_payment(live_api, payment["id"])

    assert (settled["status"], settled["error_code"]) == ("failed", "CARD_DECLINED")


# ---- keys --------------------------------------------------------------------------------------


def _stored(api_key: str, kind: str, livemode: bool) -> None:
    with db.transaction() as tx:
        api_keys.insert(tx, auth.hash_api_key(api_key), seed.MERCHANT_ID, kind, livemode)


@pytest.mark.parametrize(
    ("prefix", "kind", "livemode"),
    [
        pytest.param("key_live_", "secret", False, id="live-prefix-stored-test"),
        pytest.param("key_test_", "secret", True, id="test-prefix-stored-live"),
        pytest.param("pk_live_", "publishable", False, id="pk-live-prefix-stored-test"),
        pytest.param("pk_test_", "publishable", True, id="pk-test-prefix-stored-live"),
        pytest.param("pk_test_", "secret", False, id="publishable-prefix-stored-secret"),
        pytest.param("key_live_", "publishable", True, id="secret-prefix-stored-publishable"),
        pytest.param("sk_", "secret", False, id="no-prefix-of-ours"),
    ],
)
def test_a_key_whose_prefix_disagrees_with_what_is_stored_never_authenticates(
    api_url: str, prefix: str, kind: str, livemode: bool
) -> None:
    key = prefix + secrets.token_urlsafe(24)
    _stored(key, kind, livemode)
    client = Api(api_url, key=key)

    for method, path in (("POST", "/payments"), ("GET", "/payments/pay_x"), ("GET", "/payments")):
        response = client.request(method, path, json=_body(card=REAL_CARD))
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert scalar("SELECT count(*) FROM payments") == 0


def test_issued_keys_are_random_prefixed_and_stored_only_as_hashes(live_api: Api) -> None:
    issued = {(kind, livemode): _issue(kind, livemode) for kind in auth.KeyKind for livemode in (True, False)}
    stored = scalar("SELECT string_agg(row_to_json(k)::text, '') FROM api_keys k")

    for (kind, livemode), key in issued.items():
        prefix = {"secret": "key", "publishable": "pk"}[kind] + ("_live_" if livemode else "_test_")
        assert re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9_-]{24,}", key), key
        assert key not in stored and auth.hash_api_key(key) in stored
    assert len(set(issued.values())) == 4
    assert live_api.key not in stored and seed.API_KEY not in stored and seed.PUBLISHABLE_KEY not in stored
