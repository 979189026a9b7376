"""POST/GET /payments and capture, through the real server and poller."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CARD, Api, Poller, Receiver, payment_body, scalar, settled_payment, wait_until


def test_create_payment_returns_pending_payment(api: Api) -> None:
    response = api.post("/payments", json=payment_body())

    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("pay_")
    assert body["status"] == "pending"
    assert body["captured"] is False
    assert body["amount"] == 50000 and body["currency"] == "INR" and body["method"] == "card"
    assert body["order_id"] == "order_1"
    assert body["created_at"].endswith("Z")
    assert body["card"] == {"network": "visa", "last4": "1111", "expiry_month": 12, "expiry_year": 2035}
    assert response.headers["X-Request-Id"].startswith("req_")


@pytest.mark.parametrize(
    "fields",
    [
        {"metadata": {"zeta": "1", "a": "two"}, "description": "Two mugs"},
        {"method": "upi", "card": None, "vpa": "shopper@okbank"},
        {"order": True},
    ],
    ids=["card", "upi", "for-an-order"],
)
def test_the_answer_the_stored_payment_and_its_event_agree(api: Api, fields: dict[str, Any]) -> None:
    # The create builds its answer and its event before the one statement that stores both.
    if fields.pop("order", False):
        fields["order_id"] = api.post("/orders", json={"amount": 50000, "currency": "INR"}).json()["id"]
    answer = api.post("/payments", json=payment_body(**fields)).json()

    stored = api.get(f"/payments/{answer['id']}").json()
    event_body = scalar("SELECT body FROM events WHERE type = 'payment.created' AND object_id = %s", answer["id"])
    event = json.loads(event_body)
    assert answer == stored == event["data"]["payment"]
    assert scalar("SELECT created_at = updated_at FROM payments WHERE id = %s", answer["id"]) is True


def test_card_number_and_cvv_are_never_stored(api: Api) -> None:
    api.post("/payments", json=payment_body())

    row = scalar("SELECT row_to_json(p)::text FROM payments p")
    bodies = scalar("SELECT string_agg(body, '') FROM events")
    assert CARD["number"] not in row and CARD["number"] not in bodies
    assert '"123"' not in row


def test_card_number_and_cvv_never_reach_events_or_webhooks(
    api: Api, poller: Poller, receiver: Receiver, endpoint: Any
) -> None:
    card = {**CARD, "cvv": "739"}
    payment = api.post("/payments", json=payment_body(card=card)).json()
    settled_payment(api, payment["id"])
    wait_until(lambda: len(receiver.events()) == 3)  # created, pending, success

    events = scalar("SELECT string_agg(body, '') FROM events")
    sent = b"".join(r.body for r in receiver.events()).decode()
    for text in (events, sent):
        assert card["number"] not in text and '"739"' not in text and "cvv" not in text
    for request in receiver.events():
        assert request.json()["data"]["payment"]["card"] == {
            "network": "visa",
            "last4": "1111",
            "expiry_month": 12,
            "expiry_year": 2035,
        }


def test_payment_succeeds_and_emits_events(api: Api, poller: Poller, receiver: Receiver, endpoint: Any) -> None:
    payment = api.post("/payments", json=payment_body()).json()

    assert settled_payment(api, payment["id"])["status"] == "success"
    # Deliveries are not ordered: wait for all three, not just the last one sent.
    wait_until(lambda: {"payment.created", "payment.pending", "payment.success"} <= _event_names(receiver))
    sent = receiver.events("payment.success")[0].json()
    assert sent["id"].startswith("evt_") and isinstance(sent["timestamp"], int)
    assert sent["data"]["payment"]["id"] == payment["id"]
    assert sent["data"]["payment"]["status"] == "success"


def test_declined_test_card_fails_with_error_code(api: Api, poller: Poller) -> None:
    card = {**CARD, "number": "4000000000000002"}
    payment = api.post("/payments", json=payment_body(card=card)).json()

    settled = settled_payment(api, payment["id"])
    assert settled["status"] == "failed"
    assert settled["error_code"] == "CARD_DECLINED"
    assert settled["error_description"]


def test_insufficient_funds_card_and_failing_vpa(api: Api, poller: Poller) -> None:
    card = api.post("/payments", json=payment_body(card={**CARD, "number": "4000000000009995"})).json()
    upi = api.post("/payments", json=payment_body(method="upi", card=None, vpa="failure@upi")).json()
    upi_ok = api.post("/payments", json=payment_body(method="upi", card=None, vpa="success@upi")).json()

    assert settled_payment(api, card["id"])["error_code"] == "INSUFFICIENT_FUNDS"
    assert settled_payment(api, upi["id"])["error_code"] == "UPI_PAYMENT_FAILED"
    assert settled_payment(api, upi_ok["id"])["status"] == "success"


def test_get_payment_of_another_merchant_is_not_found(api: Api, other_api: Api) -> None:
    payment = api.post("/payments", json=payment_body()).json()

    response = other_api.get(f"/payments/{payment['id']}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"


def test_unknown_and_malformed_payment_ids_are_not_found(api: Api) -> None:
    for payment_id in ("pay_doesnotexist", "rfnd_abc", "x" * 300, "pay_%27%3B"):
        response = api.get(f"/payments/{payment_id}")
        assert response.status_code == 404, payment_id
        assert response.json()["error"]["code"] == "NOT_FOUND_ERROR"


def test_list_payments_newest_first_with_pagination(api: Api) -> None:
    ids = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json()["id"] for i in range(5)]

    page = api.get("/payments", params={"limit": 2, "offset": 1}).json()

    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [p["id"] for p in page["data"]] == [ids[3], ids[2]]
    assert api.get("/payments", params={"order_id": "o4"}).json()["data"][0]["id"] == ids[4]
    assert api.get("/payments", params={"limit": 500}).status_code == 400


def test_list_payments_shows_twenty_by_default(api: Api) -> None:
    for i in range(21):
        assert api.post("/payments", json=payment_body(order_id=f"o{i}")).status_code == 201

    page = api.get("/payments").json()

    assert (page["limit"], page["offset"], page["total"], len(page["data"])) == (20, 0, 21, 20)
    assert page["data"][0]["order_id"] == "o20"  # newest first


def test_list_payments_filters_by_status_and_method(api: Api, poller: Poller) -> None:
    made = {
        "card-success": payment_body(),
        "card-failed": payment_body(card={**CARD, "number": "4000000000000002"}),
        "upi-success": payment_body(method="upi", card=None, vpa="success@upi"),
        "upi-failed": payment_body(method="upi", card=None, vpa="failure@upi"),
    }
    ids = {name: api.post("/payments", json={**body, "order_id": name}).json()["id"] for name, body in made.items()}
    for payment_id in ids.values():
        settled_payment(api, payment_id)

    def listed(**params: str) -> set[str]:
        page = api.get("/payments", params=params).json()
        assert page["total"] == len(page["data"])
        return {p["order_id"] for p in page["data"]}

    assert listed(status="success") == {"card-success", "upi-success"}
    assert listed(status="failed") == {"card-failed", "upi-failed"}
    assert listed(status="pending") == set()
    assert listed(method="upi") == {"upi-success", "upi-failed"}
    assert listed(method="card", status="failed") == {"card-failed"}


def test_capture_successful_payment(api: Api, poller: Poller, receiver: Receiver, endpoint: Any) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    settled_payment(api, payment["id"])

    response = api.post(f"/payments/{payment['id']}/capture", json={"amount": 50000})

    assert response.status_code == 200
    assert response.json()["status"] == "success" and response.json()["captured"] is True
    assert response.json()["captured_at"]
    wait_until(lambda: receiver.events("payment.captured"))
    again = api.post(f"/payments/{payment['id']}/capture")
    assert again.status_code == 400


def test_capture_without_body_captures_full_amount(api: Api, poller: Poller) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    settled_payment(api, payment["id"])

    assert api.post(f"/payments/{payment['id']}/capture").json()["captured"] is True


def test_capture_rejects_pending_failed_and_partial(api: Api, pollers: Poller) -> None:
    pending = api.post("/payments", json=payment_body()).json()
    assert api.post(f"/payments/{pending['id']}/capture").status_code == 400

    pollers.start()
    declined = api.post("/payments", json=payment_body(card={**CARD, "number": "4000000000000002"})).json()
    settled_payment(api, declined["id"])
    assert api.post(f"/payments/{declined['id']}/capture").status_code == 400

    settled_payment(api, pending["id"])
    partial = api.post(f"/payments/{pending['id']}/capture", json={"amount": 100})
    assert partial.status_code == 400 and partial.json()["error"]["field"] == "amount"


def _event_names(receiver: Receiver) -> set[str]:
    return {r.json()["event"] for r in receiver.events()}
