"""API keys: the secret key can do everything, the publishable key only create and read payments
(and read what checkout needs of an order).

The routes come from the app's own route table, so a route added later is covered without
anyone remembering to list it here.
"""

from __future__ import annotations

import re

import pytest

from app import app
from shared import seed
from tests.conftest import Api, payment_body, scalar

API = "/api/v1"
# The exceptions, listed by hand because they are promises: what a publishable key may do, the
# job status (any key or none), and the API's own description (no key; a key is ignored).
PUBLISHABLE_ROUTES = {("POST", "/payments"), ("GET", "/payments/{payment_id}"), ("GET", "/orders/{order_id}/checkout")}
KEY_OPTIONAL_ROUTES = {("GET", "/test/jobs/status")}
PUBLIC_ROUTES = {("GET", "/openapi.json")}
ROUTES = sorted((method, path.removeprefix(API)) for path, methods in app.routes.items() for method in methods)
SECRET_ROUTES = [r for r in ROUTES if r not in PUBLISHABLE_ROUTES | KEY_OPTIONAL_ROUTES | PUBLIC_ROUTES]
KEYED_ROUTES = [r for r in ROUTES if r not in KEY_OPTIONAL_ROUTES | PUBLIC_ROUTES]
CHECKED_KEY_ROUTES = [r for r in ROUTES if r not in PUBLIC_ROUTES]
# An id of the right kind for each path parameter, so the request reaches authentication as a real one would.
IDS = {
    "payment_id": "pay_x",
    "refund_id": "rfnd_x",
    "endpoint_id": "we_x",
    "delivery_id": "whd_x",
    "order_id": "order_x",
    "event_id": "evt_x",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: IDS[m.group(1)], path)


def _id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.fixture
def public_api(api_url: str) -> Api:
    return Api(api_url, key=seed.PUBLISHABLE_KEY)


def test_the_route_table_has_the_documented_exceptions() -> None:
    # Guards the lists above: a renamed route would otherwise silently join the secret routes.
    assert set(ROUTES) >= PUBLISHABLE_ROUTES | KEY_OPTIONAL_ROUTES | PUBLIC_ROUTES
    assert len(SECRET_ROUTES) >= 14


def test_keys_are_stored_only_as_hashes() -> None:
    row = scalar("SELECT row_to_json(m)::text FROM merchants m WHERE id = %s", seed.MERCHANT_ID)

    assert seed.API_KEY not in row and seed.PUBLISHABLE_KEY not in row


def test_publishable_key_creates_and_reads_a_payment(public_api: Api) -> None:
    created = public_api.post("/payments", json=payment_body())

    assert created.status_code == 201
    assert public_api.get(f"/payments/{created.json()['id']}").json()["id"] == created.json()["id"]


@pytest.mark.parametrize(("method", "path"), SECRET_ROUTES, ids=map(_id, SECRET_ROUTES))
def test_publishable_key_is_refused_on_every_secret_key_route(public_api: Api, method: str, path: str) -> None:
    response = public_api.request(method, _concrete(path), json={})

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "PERMISSION_ERROR"


@pytest.mark.parametrize(("method", "path"), KEYED_ROUTES, ids=map(_id, KEYED_ROUTES))
def test_every_route_that_needs_a_key_answers_401_without_one(api: Api, method: str, path: str) -> None:
    response = api.request(method, _concrete(path), json={}, headers={"X-Api-Key": ""})

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"


@pytest.mark.parametrize(("method", "path"), CHECKED_KEY_ROUTES, ids=map(_id, CHECKED_KEY_ROUTES))
def test_an_unknown_key_is_unauthorized_on_every_route_that_reads_keys(api_url: str, method: str, path: str) -> None:
    response = Api(api_url, key="pk_test_nope").request(method, _concrete(path), json=payment_body())

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
