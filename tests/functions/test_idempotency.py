"""Idempotency-Key on POST /payments and POST /payments/{id}/refunds."""

from __future__ import annotations

import concurrent.futures as cf

import requests

from shared import db
from tests.conftest import Api, Poller, count, payment_body, settled_payment, wait_until


def _age_keys_by(hours: int) -> None:
    """Move every stored key ``hours`` into the past: the 24-hour window without waiting a day."""
    with db.transaction() as tx:
        tx.execute("UPDATE idempotency_keys SET created_at = created_at - make_interval(hours => %s)", (hours,))


def test_same_key_and_body_replays_the_first_response(api: Api) -> None:
    headers = {"Idempotency-Key": "order-1-attempt-1"}
    first = api.post("/payments", json=payment_body(), headers=headers)
    second = api.post("/payments", json=payment_body(), headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count("SELECT count(*) FROM payments") == 1


def test_same_key_with_different_body_is_rejected(api: Api) -> None:
    headers = {"Idempotency-Key": "k1"}
    api.post("/payments", json=payment_body(), headers=headers)

    response = api.post("/payments", json=payment_body(amount=999), headers=headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_ERROR"
    assert count("SELECT count(*) FROM payments") == 1


def test_keys_are_scoped_per_merchant(api: Api, other_api: Api) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/payments", json=payment_body(), headers=headers).json()
    theirs = other_api.post("/payments", json=payment_body(), headers=headers).json()

    assert mine["id"] != theirs["id"]
    assert count("SELECT count(*) FROM payments") == 2


def test_without_a_key_every_request_creates_a_payment(api: Api) -> None:
    api.post("/payments", json=payment_body())
    api.post("/payments", json=payment_body())

    assert count("SELECT count(*) FROM payments") == 2


def test_failed_validation_is_not_remembered(api: Api) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    assert api.post("/payments", json=payment_body(amount=-1), headers=headers).status_code == 400

    assert api.post("/payments", json=payment_body(), headers=headers).status_code == 201


def test_twenty_concurrent_requests_with_one_key_create_one_payment(api: Api) -> None:
    def attempt(_: int) -> requests.Response:
        return requests.post(
            api.base + "/payments",
            json=payment_body(),
            timeout=30,
            headers={"X-Api-Key": api.key, "Idempotency-Key": "race-1"},
        )

    with cf.ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(attempt, range(20)))

    assert count("SELECT count(*) FROM payments") == 1
    assert {r.status_code for r in responses} <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.json()["id"] for r in created}) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"


def test_key_in_use_by_a_running_request_gets_409(api: Api) -> None:
    # Hold the key's lock (merchant, mode, key) the way a slow first request would.
    with db.transaction() as tx:
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("mch_test:test:slow-key",))
        response = api.post("/payments", json=payment_body(), headers={"Idempotency-Key": "slow-key"})

    assert response.status_code == 409
    assert api.post("/payments", json=payment_body(), headers={"Idempotency-Key": "slow-key"}).status_code == 201


def test_refund_with_same_key_is_created_once(api: Api, poller: Poller) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    settled_payment(api, payment["id"])
    headers = {"Idempotency-Key": "refund-1"}

    first = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}, headers=headers)
    second = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count("SELECT count(*) FROM refunds") == 1


def test_same_key_on_another_payment_is_a_mismatch(api: Api, poller: Poller) -> None:
    one = api.post("/payments", json=payment_body()).json()
    two = api.post("/payments", json=payment_body()).json()
    settled_payment(api, one["id"])
    settled_payment(api, two["id"])
    headers = {"Idempotency-Key": "refund-x"}

    assert api.post(f"/payments/{one['id']}/refunds", json={"amount": 100}, headers=headers).status_code == 201
    assert api.post(f"/payments/{two['id']}/refunds", json={"amount": 100}, headers=headers).status_code == 422


def test_a_key_is_still_kept_just_inside_24_hours(api: Api) -> None:
    headers = {"Idempotency-Key": "order-1-attempt-1"}
    first = api.post("/payments", json=payment_body(), headers=headers)
    _age_keys_by(23)

    again = api.post("/payments", json=payment_body(), headers=headers)
    changed = api.post("/payments", json=payment_body(amount=999), headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true" and again.content == first.content
    assert changed.status_code == 422


def test_after_24_hours_the_same_key_with_a_new_body_is_a_new_request(api: Api) -> None:
    headers = {"Idempotency-Key": "order-1-attempt-1"}
    first = api.post("/payments", json=payment_body(), headers=headers).json()
    _age_keys_by(25)

    second = api.post("/payments", json=payment_body(amount=999), headers=headers)

    assert second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first["id"] and second.json()["amount"] == 999
    # The key now stands for the new request.
    assert (
        api.post("/payments", json=payment_body(amount=999), headers=headers).headers["Idempotent-Replayed"] == "true"
    )


def test_expired_keys_are_purged_and_live_ones_kept(api: Api, poller: Poller) -> None:
    api.post("/payments", json=payment_body(), headers={"Idempotency-Key": "old"})
    _age_keys_by(25)
    api.post("/payments", json=payment_body(), headers={"Idempotency-Key": "new"})

    # The poller's reconciliation (every RECONCILE_INTERVAL_S, 1 s in the tests) purges them.
    wait_until(lambda: count("SELECT count(*) FROM idempotency_keys WHERE key = 'old'") == 0)
    assert count("SELECT count(*) FROM idempotency_keys WHERE key = 'new'") == 1
