"""API keys: the secret key can do everything, the publishable key only create and read payments."""

from __future__ import annotations

import pytest

from shared import seed
from tests.conftest import Api, payment_body, scalar


@pytest.fixture
def public_api(api_url: str) -> Api:
    return Api(api_url, key=seed.PUBLISHABLE_KEY)


def test_keys_are_stored_only_as_hashes() -> None:
    row = scalar("SELECT row_to_json(m)::text FROM merchants m WHERE id = %s", seed.MERCHANT_ID)

    assert seed.API_KEY not in row and seed.PUBLISHABLE_KEY not in row


def test_publishable_key_creates_and_reads_a_payment(public_api: Api) -> None:
    created = public_api.post("/payments", json=payment_body())

    assert created.status_code == 201
    assert public_api.get(f"/payments/{created.json()['id']}").json()["id"] == created.json()["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/payments"),
        ("POST", "/payments/pay_x/capture"),
        ("POST", "/payments/pay_x/refunds"),
        ("GET", "/refunds/rfnd_x"),
        ("GET", "/webhook-endpoints"),
        ("POST", "/webhook-endpoints"),
        ("GET", "/webhooks"),
        ("POST", "/webhooks/whd_x/retry"),
    ],
)
def test_publishable_key_cannot_touch_anything_else(public_api: Api, method: str, path: str) -> None:
    response = public_api.request(method, path, json={})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_ERROR"


def test_unknown_key_is_unauthorized_everywhere(api_url: str) -> None:
    response = Api(api_url, key="pk_test_nope").post("/payments", json=payment_body())

    assert response.status_code == 401 and response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
