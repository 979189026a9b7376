"""Orders: the amount a checkout charges is fixed by the merchant's server, and an order is paid once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared import seed
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

DECLINED_CARD = {"number": "4000000000000002", "expiry_month": 12, "expiry_year": 2035, "cvv": "123"}


def _order(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/orders", json={"amount": 50000, "currency": "INR", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _pay(api: Api, order_ref: str, **overrides: Any) -> Any:
    return api.post("/payments", json=payment_body(order_id=order_ref, **overrides))


def _refused(response: Any, field: str, words: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("BAD_REQUEST_ERROR", field) and words in error["description"], error


def test_an_order_is_created_and_read_by_its_id_or_receipt(api: Api) -> None:
    order = _order(api, receipt="order_999", notes={"cart": "3 books"})

    assert order["id"].startswith("order_") and order["entity"] == "order" and order["livemode"] is False
    assert (order["amount"], order["currency"], order["status"], order["attempts"]) == (50000, "INR", "created", 0)
    assert api.get(f"/orders/{order['id']}").json() == order
    assert api.get("/orders/order_999").json() == order
    assert api.get("/orders", params={"receipt": "order_999"}).json()["data"] == [order]
    # A receipt names its newest order.
    newer = _order(api, receipt="order_999")
    assert api.get("/orders/order_999").json()["id"] == newer["id"]


def test_creating_an_order_is_idempotent(api: Api) -> None:
    key = {"Idempotency-Key": "order-999-1"}
    first = api.post("/orders", json={"amount": 100, "currency": "INR"}, headers=key)
    again = api.post("/orders", json={"amount": 100, "currency": "INR"}, headers=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert api.post("/orders", json={"amount": 200, "currency": "INR"}, headers=key).status_code == 422
    assert count("SELECT count(*) FROM orders") == 1


def test_a_payment_must_match_its_orders_amount_and_currency(api: Api) -> None:
    order = _order(api)

    _refused(_pay(api, order["id"], amount=1), "amount", "50000")
    _refused(_pay(api, order["id"], currency="USD"), "currency", "INR")
    assert count("SELECT count(*) FROM payments") == 0
    assert api.get(f"/orders/{order['id']}").json()["status"] == "created"


def test_a_paid_order_sends_order_paid_and_takes_no_second_payment(
    api: Api, poller: Poller, receiver: Receiver
) -> None:
    create_endpoint(api, receiver.url, ["order.paid"])
    order = _order(api, receipt="order_7")

    payment = _pay(api, "order_7").json()
    assert api.get(f"/orders/{order['id']}").json()["status"] == "attempted"
    assert settled_payment(api, payment["id"])["status"] == "success"

    paid = wait_until(lambda: api.get(f"/orders/{order['id']}").json() if receiver.events("order.paid") else None)
    assert paid["status"] == "paid" and paid["paid_at"] and paid["attempts"] == 1
    [sent] = receiver.events("order.paid")
    assert sent.json()["data"]["order"]["id"] == order["id"]
    assert sent.json()["data"]["payment"]["id"] == payment["id"]
    assert [p["id"] for p in api.get(f"/orders/{order['id']}/payments").json()["data"]] == [payment["id"]]
    _refused(_pay(api, order["id"]), "order_id", "already paid")
    assert count("SELECT count(*) FROM payments") == 1


def test_a_declined_payment_leaves_the_order_open_for_another(api: Api, poller: Poller) -> None:
    order = _order(api)

    declined = _pay(api, order["id"], card=DECLINED_CARD).json()
    assert settled_payment(api, declined["id"])["status"] == "failed"
    assert api.get(f"/orders/{order['id']}").json()["status"] == "attempted"
    second = _pay(api, order["id"]).json()

    assert settled_payment(api, second["id"])["status"] == "success"
    wait_until(lambda: api.get(f"/orders/{order['id']}").json()["status"] == "paid")
    assert api.get(f"/orders/{order['id']}").json()["attempts"] == 2


def test_concurrent_payments_for_one_order_are_one_charge(api: Api) -> None:
    order = _order(api)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _pay(api, order["id"]), range(8)))

    assert sorted(a.status_code for a in answers) == [201] + [400] * 7
    for refused in (a for a in answers if a.status_code == 400):
        _refused(refused, "order_id", "already being processed")
    assert count("SELECT count(*) FROM payments WHERE order_ref = %s", order["id"]) == 1


def test_a_free_form_order_id_works_as_before(api: Api, poller: Poller) -> None:
    payment = _pay(api, "order_999", amount=123).json()

    assert settled_payment(api, payment["id"])["status"] == "success"
    assert count("SELECT count(*) FROM payments WHERE order_ref IS NULL") == 1


def test_a_publishable_key_reads_only_what_checkout_needs(api: Api, api_url: str) -> None:
    order = _order(api, receipt="order_999", notes={"customer": "asha@example.com"})
    public = Api(api_url, key=seed.PUBLISHABLE_KEY)

    shown = public.get("/orders/order_999/checkout")

    assert shown.status_code == 200
    assert shown.json() == {
        "id": order["id"],
        "entity": "order",
        "amount": 50000,
        "currency": "INR",
        "status": "created",
    }
    for path in (f"/orders/{order['id']}", "/orders", f"/orders/{order['id']}/payments"):
        assert public.get(path).status_code == 403, path


@pytest.mark.parametrize("path", ["/orders/{id}", "/orders/{id}/checkout", "/orders/{id}/payments"])
def test_an_order_of_one_mode_is_not_found_with_a_key_of_the_other(api: Api, live_api: Api, path: str) -> None:
    order = _order(api, receipt="order_42")

    for ref in (order["id"], "order_42"):
        assert live_api.get(path.format(id=ref)).status_code == 404
    # In live mode the receipt names no order, so a live payment with it is free-form.
    assert _pay(live_api, "order_42", amount=1).status_code == 201
