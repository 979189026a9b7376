"""Bad input gets a clear 4xx JSON error and writes nothing, through the real server.

Every rejection test also checks that no payment, event, webhook delivery, idempotency key or
refund was written. A webhook endpoint is registered for each test, so an accepted payment
would leave webhook deliveries behind too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests

from functions.jobs import process_payment
from shared.models.payments import MAX_AMOUNT
from shared.queue import Job
from tests.conftest import API_KEY, CARD, Api, count, payment_body

WRITTEN_TABLES = ("payments", "orders", "events", "webhook_deliveries", "idempotency_keys", "refunds")
MAX_BODY_BYTES = 65536  # the default MAX_BODY_BYTES, which the test server runs with
UPI = {"method": "upi", "card": None, "vpa": "success@upi"}


@pytest.fixture(autouse=True)
def subscribed_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    """An endpoint for every event, so an accepted request would create webhook deliveries."""
    return endpoint


def row_counts() -> dict[str, int]:
    return {table: count(f"SELECT count(*) FROM {table}") for table in WRITTEN_TABLES}


def assert_nothing_written() -> None:
    assert row_counts() == dict.fromkeys(WRITTEN_TABLES, 0)


def assert_error(response: requests.Response, status: int, code: str = "BAD_REQUEST_ERROR") -> dict[str, Any]:
    """The response is our JSON error with this status and code; returns the ``error`` object."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "description", "field"}
    assert error["code"] == code
    assert isinstance(error["description"], str) and error["description"]
    return dict(error)


def assert_rejected(response: requests.Response, field: str | None = None) -> dict[str, Any]:
    """A 400 naming ``field`` (when given) that wrote nothing."""
    error = assert_error(response, 400)
    if field is not None:
        assert error["field"] == field, error
    assert_nothing_written()
    return error


def raw_body(**overrides: Any) -> bytes:
    return json.dumps(payment_body(**overrides)).encode()


def last_month() -> tuple[int, int]:
    today = dt.datetime.now(dt.UTC).date()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def test_the_valid_body_used_as_a_base_is_accepted_and_writes_rows(api: Api) -> None:
    # The control for every test below: the same request without the defect does write rows.
    response = api.post("/payments", json=payment_body())

    assert response.status_code == 201, response.text
    counts = row_counts()
    assert counts["payments"] == 1 and counts["events"] == 1 and counts["webhook_deliveries"] == 1


# ---- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Api-Key": ""}, id="empty"),
        pytest.param({"X-Api-Key": "key_test_wrong"}, id="wrong"),
        pytest.param({"X-Api-Key": API_KEY.upper()}, id="wrong-case"),
        pytest.param({"X-Api-Key": "k" * 5000}, id="over-long"),
        pytest.param({"X-Api-Key": "clé_test_é"}, id="non-ascii"),
    ],
)
def test_payment_without_a_valid_api_key_is_unauthorized(api: Api, headers: dict[str, str]) -> None:
    response = requests.post(f"{api.base}/payments", json=payment_body(), headers=headers, timeout=30)

    error = assert_error(response, 401, "AUTHENTICATION_ERROR")
    assert error["field"] is None
    assert_nothing_written()


def test_authentication_is_checked_before_the_body(api: Api) -> None:
    response = requests.post(f"{api.base}/payments", data=b"{", timeout=30)

    assert_error(response, 401, "AUTHENTICATION_ERROR")


# ---- the body as a whole -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"", id="empty"),
        pytest.param(b"  \n ", id="whitespace-only"),
        pytest.param(b"[]", id="array"),
        pytest.param(b"[" + raw_body() + b"]", id="array-of-a-valid-body"),
        pytest.param(b"null", id="null"),
        pytest.param(b"42", id="number"),
        pytest.param(b'"payment"', id="string"),
        pytest.param(raw_body(amount=float("nan")), id="NaN"),
        pytest.param(raw_body(amount=float("inf")), id="Infinity"),
        pytest.param(raw_body(amount=float("-inf")), id="minus-Infinity"),
        pytest.param(b"[" * 60_000, id="deeply-nested-arrays"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="deeply-nested-objects"),
        pytest.param(raw_body(order_id="X").replace(b"X", b"\xff\xfe"), id="non-utf8"),
        pytest.param(b'{"amount": ' + b"9" * 5000 + b"}", id="integer-with-5000-digits"),
        pytest.param(raw_body() + b"}", id="trailing-garbage"),
    ],
)
def test_body_that_is_not_a_json_object_is_rejected(api: Api, body: bytes) -> None:
    response = api.post("/payments", data=body, headers={"Content-Type": "application/json"})

    assert_rejected(response, field=None)


def test_form_encoded_body_is_rejected(api: Api) -> None:
    response = api.post("/payments", data={"amount": "50000", "currency": "INR", "method": "upi"})

    assert_rejected(response)


def test_valid_json_sent_as_text_plain_is_accepted(api: Api) -> None:
    # We parse bodies ourselves, whatever the Content-Type says.
    response = api.post("/payments", data=raw_body(), headers={"Content-Type": "text/plain"})

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(raw_body(description="x" * MAX_BODY_BYTES), id="long-description"),
        pytest.param(raw_body(metadata={"k": "v" * 100_000}), id="huge-metadata-value"),
        pytest.param(b"[" * 100_000, id="deeply-nested-beyond-the-limit"),
        pytest.param(raw_body() + b" " * (MAX_BODY_BYTES + 1 - len(raw_body())), id="one-byte-over"),
    ],
)
def test_oversized_body_is_rejected_with_413(api: Api, body: bytes) -> None:
    assert len(body) > MAX_BODY_BYTES

    response = api.post("/payments", data=body)

    error = assert_error(response, 413)
    assert str(MAX_BODY_BYTES) in error["description"]
    assert_nothing_written()


def test_body_of_exactly_the_size_limit_is_accepted(api: Api) -> None:
    body = raw_body() + b" " * (MAX_BODY_BYTES - len(raw_body()))
    assert len(body) == MAX_BODY_BYTES

    assert api.post("/payments", data=body).status_code == 201


# ---- fields --------------------------------------------------------------------------------


def _expired_card() -> dict[str, Any]:
    year, month = last_month()
    return {**CARD, "expiry_year": year, "expiry_month": month}


INVALID_FIELDS = [
    # amount
    pytest.param({"amount": 1.5}, "amount", id="amount-fraction"),
    pytest.param({"amount": 100.0}, "amount", id="amount-whole-float"),
    pytest.param({"amount": "100"}, "amount", id="amount-string"),
    pytest.param({"amount": True}, "amount", id="amount-true"),
    pytest.param({"amount": False}, "amount", id="amount-false"),
    pytest.param({"amount": -100}, "amount", id="amount-negative"),
    pytest.param({"amount": 0}, "amount", id="amount-zero"),
    pytest.param({"amount": MAX_AMOUNT + 1}, "amount", id="amount-above-maximum"),
    pytest.param({"amount": 10**30}, "amount", id="amount-huge"),
    pytest.param({"amount": None}, "amount", id="amount-null"),
    pytest.param({"amount": [100]}, "amount", id="amount-array"),
    # currency
    pytest.param({"currency": 356}, "currency", id="currency-number"),
    pytest.param({"currency": None}, "currency", id="currency-null"),
    pytest.param({"currency": ["INR"]}, "currency", id="currency-array"),
    # method
    pytest.param({"method": "cash"}, "method", id="method-unknown"),
    pytest.param({"method": "CARD"}, "method", id="method-upper-case"),
    pytest.param({"method": None}, "method", id="method-null"),
    # order_id
    pytest.param({"order_id": ""}, "order_id", id="order-id-empty"),
    pytest.param({"order_id": "o" * 65}, "order_id", id="order-id-65-chars"),
    pytest.param({"order_id": 1}, "order_id", id="order-id-number"),
    pytest.param({"order_id": None}, "order_id", id="order-id-null"),
    # unknown and free-text fields
    pytest.param({"amount_minor": 100}, "amount_minor", id="unknown-field"),
    pytest.param({"description": "d" * 256}, "description", id="description-256-chars"),
    pytest.param({"description": 7}, "description", id="description-number"),
    # metadata
    pytest.param({"metadata": "note"}, "metadata", id="metadata-string"),
    pytest.param({"metadata": ["a"]}, "metadata", id="metadata-array"),
    pytest.param({"metadata": {f"k{i}": "v" for i in range(21)}}, "metadata", id="metadata-21-keys"),
    pytest.param({"metadata": {"k": 1}}, "metadata.k", id="metadata-number-value"),
    pytest.param({"metadata": {"k": None}}, "metadata.k", id="metadata-null-value"),
    pytest.param({"metadata": {"k": {"nested": "v"}}}, "metadata.k", id="metadata-object-value"),
    pytest.param({"metadata": {"k": True}}, "metadata.k", id="metadata-bool-value"),
    pytest.param({"metadata": {"k": "v" * 501}}, "metadata.k", id="metadata-501-char-value"),
    # card
    pytest.param({"card": {**CARD, "number": "4111111111111112"}}, "card", id="card-luhn-failure"),
    pytest.param({"card": {**CARD, "number": "41111111111"}}, "card", id="card-too-short"),
    pytest.param({"card": {**CARD, "number": "4" + "1" * 23}}, "card.number", id="card-too-long"),
    pytest.param({"card": {**CARD, "number": "4111abcd11111111"}}, "card", id="card-letters"),
    pytest.param({"card": {**CARD, "number": "４１１１１１１１１１１１１１１１"}}, "card", id="card-fullwidth-digits"),
    pytest.param({"card": {**CARD, "number": 4111111111111111}}, "card.number", id="card-number-as-number"),
    pytest.param({"card": _expired_card()}, "card", id="card-expired-last-month"),
    pytest.param({"card": {**CARD, "number": "378282246310005", "cvv": "123"}}, "card", id="amex-3-digit-cvv"),
    pytest.param({"card": {**CARD, "cvv": "1234"}}, "card", id="visa-4-digit-cvv"),
    pytest.param({"card": {**CARD, "cvv": "12a"}}, "card", id="cvv-letters"),
    pytest.param({"card": {**CARD, "expiry_month": 13}}, "card.expiry_month", id="expiry-month-13"),
    pytest.param({"card": {**CARD, "expiry_month": 0}}, "card.expiry_month", id="expiry-month-0"),
    pytest.param({"card": {**CARD, "expiry_month": "12"}}, "card.expiry_month", id="expiry-month-string"),
    pytest.param({"card": {**CARD, "expiry_year": 2099}}, "card", id="expiry-year-too-far"),
    pytest.param({"card": {**CARD, "pin": "1234"}}, "card.pin", id="card-unknown-field"),
    pytest.param({"card": "4111111111111111"}, "card", id="card-not-an-object"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID_FIELDS)
def test_invalid_field_is_rejected_and_named(api: Api, overrides: dict[str, Any], field: str) -> None:
    response = api.post("/payments", json=payment_body(**overrides))

    assert_rejected(response, field=field)


@pytest.mark.parametrize("name", ["amount", "currency", "method", "order_id"])
def test_missing_required_field_is_rejected_and_named(api: Api, name: str) -> None:
    body = payment_body()
    del body[name]

    response = api.post("/payments", json=body)

    assert "required" in assert_rejected(response, field=name)["description"]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"currency": "inr"}, id="currency-lower-case"),
        pytest.param({"currency": "XYZ"}, id="currency-unknown"),
        pytest.param({"currency": ""}, id="currency-empty"),
        pytest.param({"method": "upi", "vpa": "success@upi"}, id="upi-with-a-card"),
        pytest.param({"vpa": "success@upi"}, id="card-with-a-vpa"),
        pytest.param({**UPI, "vpa": "not-a-vpa"}, id="vpa-without-at"),
        pytest.param({**UPI, "vpa": "a@b"}, id="vpa-too-short"),
        pytest.param({**UPI, "vpa": "name@bank@upi"}, id="vpa-two-ats"),
        pytest.param({**UPI, "vpa": "name@ba nk"}, id="vpa-with-space"),
        pytest.param({**UPI, "vpa": 42}, id="vpa-number"),
    ],
)
def test_cross_field_rule_violation_is_rejected(api: Api, overrides: dict[str, Any]) -> None:
    response = api.post("/payments", json=payment_body(**overrides))

    assert_rejected(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"currency": "inr"}, "currency", id="currency-lower-case"),
        pytest.param({"currency": "XYZ"}, "currency", id="currency-unknown"),
        pytest.param({**UPI, "vpa": "not-a-vpa"}, "vpa", id="vpa-malformed"),
    ],
)
def test_currency_and_vpa_errors_name_their_field(api: Api, overrides: dict[str, Any], field: str) -> None:
    response = api.post("/payments", json=payment_body(**overrides))

    assert_rejected(response, field=field)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"card": None}, id="card-method-without-card"),
        pytest.param({"method": "upi", "card": None}, id="upi-method-without-vpa"),
    ],
)
def test_payment_without_instrument_details_is_accepted(api: Api, overrides: dict[str, Any]) -> None:
    # The issue makes card and vpa optional: the acquirer simulation decides such payments.
    response = api.post("/payments", json=payment_body(**overrides))

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("amount", [1, MAX_AMOUNT])
def test_amount_at_its_limits_is_accepted(api: Api, amount: int) -> None:
    response = api.post("/payments", json=payment_body(amount=amount))

    assert response.status_code == 201, response.text
    assert response.json()["amount"] == amount


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"order_id": "order\u00001"}, id="order-id"),
        pytest.param({"description": "Asha\u0000"}, id="description"),
        pytest.param({"metadata": {"note": "a\u0000b"}}, id="metadata-value"),
        pytest.param({"metadata": {"no\u0000te": "v"}}, id="metadata-key"),
        pytest.param({"card": {**CARD, "name": "Asha\u0000"}}, id="card-name"),
    ],
)
def test_nul_character_in_text_is_rejected(api: Api, overrides: dict[str, Any]) -> None:
    response = api.post("/payments", json=payment_body(**overrides))

    assert_rejected(response)


def test_lone_surrogate_in_text_is_rejected(api: Api) -> None:
    body = raw_body(order_id="X").replace(b'"X"', b'"\\ud800"')

    response = api.post("/payments", data=body)

    assert_rejected(response, field="order_id")


# ---- Idempotency-Key -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [pytest.param("k" * 256, id="256-chars"), pytest.param("k" * 4000, id="4000-chars"), pytest.param("", id="empty")],
)
def test_invalid_idempotency_key_is_rejected(api: Api, key: str) -> None:
    response = api.post("/payments", json=payment_body(), headers={"Idempotency-Key": key})

    assert_rejected(response, field="Idempotency-Key")


@pytest.mark.parametrize("key", [pytest.param("k" * 255, id="255-chars"), pytest.param("order-1", id="short")])
def test_valid_idempotency_key_is_accepted_and_remembered(api: Api, key: str) -> None:
    response = api.post("/payments", json=payment_body(), headers={"Idempotency-Key": key})

    assert response.status_code == 201, response.text
    assert row_counts()["idempotency_keys"] == 1


# ---- routes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no-such-thing"),
        ("POST", "/payment"),
        ("GET", "/payments/pay_x/nothing"),
        ("POST", "/webhook-endpoints/we_x/rotate"),
    ],
)
def test_unknown_route_is_a_json_404(api: Api, method: str, path: str) -> None:
    response = api.request(method, path, json={})

    error = assert_error(response, 404, "NOT_FOUND_ERROR")
    assert error["field"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/payments"),
        ("DELETE", "/payments"),
        ("PATCH", "/payments/pay_x"),
        ("PUT", "/webhook-endpoints/we_x"),
        ("DELETE", "/webhooks/whd_x"),
    ],
)
def test_wrong_method_is_a_json_405(api: Api, method: str, path: str) -> None:
    response = api.request(method, path, json=payment_body())

    error = assert_error(response, 405, "METHOD_NOT_ALLOWED_ERROR")
    assert method in error["description"]
    assert_nothing_written()


# ---- query parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/payments", {"limit": "0"}, "limit"),
        ("/payments", {"limit": "101"}, "limit"),
        ("/payments", {"limit": "abc"}, "limit"),
        ("/payments", {"limit": "-1"}, "limit"),
        ("/payments", {"limit": "1.5"}, "limit"),
        ("/payments", {"limit": " 5"}, "limit"),
        ("/payments", {"limit": "9" * 30}, "limit"),
        ("/payments", {"offset": "-1"}, "offset"),
        ("/payments", {"offset": "abc"}, "offset"),
        ("/payments", {"status": "bogus"}, "status"),
        ("/payments", {"method": "bogus"}, "method"),
        ("/webhooks", {"status": "bogus"}, "status"),
        ("/webhooks", {"event": "payment.bogus"}, "event"),
        ("/webhooks", {"limit": "0"}, "limit"),
        ("/webhooks", {"limit": "101"}, "limit"),
        ("/webhooks", {"offset": "x"}, "offset"),
    ],
)
def test_invalid_query_parameter_is_rejected(api: Api, path: str, params: dict[str, str], field: str) -> None:
    response = api.get(path, params=params)

    assert assert_error(response, 400)["field"] == field


@pytest.mark.parametrize(("name", "value"), [("limit", "²"), ("offset", "²"), ("limit", "①")])
def test_non_decimal_digit_in_pagination_is_rejected(api: Api, name: str, value: str) -> None:
    response = api.get("/payments", params={name: value})

    assert assert_error(response, 400)["field"] == name


@pytest.mark.parametrize(
    ("path", "name"),
    [("/payments", "order_id"), ("/webhooks", "endpoint_id"), ("/webhooks", "event_id")],
)
def test_nul_character_in_list_filter_is_not_a_server_error(api: Api, path: str, name: str) -> None:
    response = api.get(path, params={name: "x\u0000"})

    assert response.status_code < 500, response.text


# ---- refunds -------------------------------------------------------------------------------


@pytest.fixture
def pending_payment(api: Api) -> dict[str, Any]:
    response = api.post("/payments", json=payment_body())
    assert response.status_code == 201, response.text
    return dict(response.json())


def refund_rows() -> int:
    return row_counts()["refunds"]


@pytest.fixture
def successful_payment(pending_payment: dict[str, Any]) -> dict[str, Any]:
    """A payment that can be refunded, so a refund request is judged on its body alone."""
    process_payment.run(Job(id="j", type="process_payment", ref_id=pending_payment["id"], attempt=1))
    return pending_payment


def test_a_valid_refund_of_the_successful_payment_is_accepted(api: Api, successful_payment: dict[str, Any]) -> None:
    # The control for the refund tests below: the same payment takes a well-formed refund.
    response = api.post(f"/payments/{successful_payment['id']}/refunds", json={"amount": 100, "reason": "r"})

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"amount": 1.5}, id="float"),
        pytest.param({"amount": 100.0}, id="whole-float"),
        pytest.param({"amount": "100"}, id="string"),
        pytest.param({"amount": 0}, id="zero"),
        pytest.param({"amount": -100}, id="negative"),
        pytest.param({"amount": True}, id="bool"),
        pytest.param({"amount": None}, id="null"),
        pytest.param({"amount": MAX_AMOUNT + 1}, id="above-maximum"),
        pytest.param({}, id="missing"),
    ],
)
def test_refund_with_invalid_amount_is_rejected(api: Api, successful_payment: dict[str, Any], body: Any) -> None:
    response = api.post(f"/payments/{successful_payment['id']}/refunds", json=body)

    assert assert_error(response, 400)["field"] == "amount"
    assert refund_rows() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b"", None, id="empty"),
        pytest.param(b"{", None, id="malformed"),
        pytest.param(b"[]", None, id="array"),
        pytest.param(b'{"amount": 100, "reason": "r", "extra": 1}', "extra", id="unknown-field"),
        pytest.param(b'{"amount": 100, "reason": "' + b"r" * 256 + b'"}', "reason", id="reason-too-long"),
        pytest.param(b'{"amount": 100, "reason": 7}', "reason", id="reason-not-text"),
    ],
)
def test_refund_with_invalid_body_is_rejected(
    api: Api, successful_payment: dict[str, Any], body: bytes, field: str | None
) -> None:
    response = api.post(f"/payments/{successful_payment['id']}/refunds", data=body)

    error = assert_error(response, 400)
    assert error["field"] == field, error
    assert "pending" not in error["description"]  # rejected for its body, not for the payment
    assert refund_rows() == 0


def test_refund_of_a_pending_payment_is_rejected(api: Api, pending_payment: dict[str, Any]) -> None:
    events_before = row_counts()["events"]

    response = api.post(f"/payments/{pending_payment['id']}/refunds", json={"amount": 100})

    assert "pending" in assert_error(response, 400)["description"]
    assert refund_rows() == 0
    assert row_counts()["events"] == events_before


def test_refund_with_invalid_amount_on_unknown_payment_is_still_a_4xx(api: Api) -> None:
    response = api.post("/payments/pay_doesnotexist/refunds", json={"amount": 1.5})

    assert response.status_code in (400, 404)
    assert refund_rows() == 0
