"""Refunds: partial, capped at the payment amount (also under concurrency), processed by a job."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any

import requests

from tests.conftest import CARD, Api, Poller, Receiver, payment_body, scalar, settled_payment, wait_until


def _paid(api: Api, amount: int = 50000) -> dict[str, Any]:
    payment = api.post("/payments", json=payment_body(amount=amount)).json()
    return settled_payment(api, payment["id"])


def test_partial_refund_is_processed_and_announced(api: Api, poller: Poller, receiver: Receiver, endpoint: Any) -> None:
    payment = _paid(api)

    response = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 10000, "reason": "damaged"})

    assert response.status_code == 201
    refund = response.json()
    assert refund["id"].startswith("rfnd_") and refund["status"] == "pending"
    assert refund["payment_id"] == payment["id"] and refund["amount"] == 10000 and refund["reason"] == "damaged"
    assert refund["created_at"].endswith("Z") and refund["processed_at"] is None

    processed = wait_until(lambda: (r := api.get(f"/refunds/{refund['id']}").json())["status"] == "processed" and r)
    assert processed["processed_at"]
    assert api.get(f"/payments/{payment['id']}").json()["amount_refunded"] == 10000
    wait_until(lambda: receiver.events("refund.processed"))
    sent = receiver.events("refund.processed")[0].json()
    assert sent["data"]["refund"]["id"] == refund["id"]
    assert receiver.events("refund.created")


def test_refunds_add_up_to_at_most_the_payment_amount(api: Api, poller: Poller) -> None:
    payment = _paid(api, amount=1000)
    path = f"/payments/{payment['id']}/refunds"

    assert api.post(path, json={"amount": 600}).status_code == 201
    assert api.post(path, json={"amount": 400}).status_code == 201
    over = api.post(path, json={"amount": 1})

    assert over.status_code == 400
    assert over.json()["error"]["field"] == "amount"
    assert api.get(f"{path}").json()["total"] == 2


def test_concurrent_refunds_never_exceed_the_payment(api: Api, poller: Poller) -> None:
    payment = _paid(api, amount=1000)

    def refund(_: int) -> int:
        return requests.post(
            f"{api.base}/payments/{payment['id']}/refunds",
            json={"amount": 300},
            timeout=30,
            headers={"X-Api-Key": api.key},
        ).status_code

    with cf.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(refund, range(10)))

    assert sorted(codes) == [201] * 3 + [400] * 7
    assert scalar("SELECT sum(amount_minor) FROM refunds WHERE payment_id = %s", payment["id"]) == 900


def test_refund_of_failed_or_pending_payment_is_rejected(api: Api, pollers: Poller) -> None:
    pending = api.post("/payments", json=payment_body()).json()
    assert api.post(f"/payments/{pending['id']}/refunds", json={"amount": 1}).status_code == 400

    pollers.start()
    failed = api.post("/payments", json=payment_body(card={**CARD, "number": "4000000000000002"})).json()
    settled_payment(api, failed["id"])
    response = api.post(f"/payments/{failed['id']}/refunds", json={"amount": 1})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_refund_of_another_merchants_payment_is_not_found(api: Api, other_api: Api, poller: Poller) -> None:
    payment = _paid(api)
    refund = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).json()

    assert other_api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).status_code == 404
    assert other_api.get(f"/refunds/{refund['id']}").status_code == 404
    assert api.get("/refunds/rfnd_missing").status_code == 404
