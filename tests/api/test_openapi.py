"""The OpenAPI document: generated from the code, valid, served, committed, and true to the README."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import requests
from openapi_spec_validator import validate

from functions.api.routes import ENDPOINTS
from shared import openapi
from shared.http import API_PREFIX
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "openapi.json"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    # Through JSON, as a client sees it (enums become plain strings).
    return dict(json.loads(json.dumps(openapi.document(ENDPOINTS))))


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_the_committed_copy_is_the_generated_document(document: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == document, "docs/openapi.json is stale: run `make openapi` and commit it"


def test_it_is_served_without_a_key(api_url: str, document: dict[str, Any]) -> None:
    answer = requests.get(f"{api_url}/openapi.json", timeout=10)

    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == document


def test_every_route_the_app_serves_is_documented_and_nothing_else(document: dict[str, Any]) -> None:
    from app import app

    served = {
        (method.lower(), path.removeprefix(API_PREFIX)) for path, methods in app.routes.items() for method in methods
    }
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented


def test_every_operation_documents_our_errors_and_request_id(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "429", "500", "503"):
                assert responses[status]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"
                }, (method, path, status)
            assert "Retry-After" in responses["429"]["headers"]
            for status, response in responses.items():
                assert "X-Request-Id" in response["headers"], (method, path, status)
            if operation["security"] != []:
                assert "401" in responses, (method, path)


def test_every_event_type_has_a_signed_webhook(document: dict[str, Any]) -> None:
    from shared.models.events import DELIVERED_EVENTS

    assert set(document["webhooks"]) == set(DELIVERED_EVENTS)
    for event, spec in document["webhooks"].items():
        headers = {p["name"] for p in spec["post"]["parameters"]}
        assert headers == {"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}, event


def _readme_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body) of every ``curl`` in the README that sends a JSON body."""
    found = []
    for command in _curl_commands(README.read_text()):
        body = re.search(r"-d '([^']*)'", command)
        url = re.search(r"http://localhost:8000/api/v1(/[^\s\"?]*)", command)
        if body and url:
            path = re.sub(r"/(pay|rfnd|we|whd)_[A-Za-z0-9X]+", lambda m: "/{" + _param(m.group(1)) + "}", url.group(1))
            found.append(("post", path, json.loads(body.group(1))))
    return found


def _curl_commands(text: str) -> list[str]:
    """Each curl command whole: its lines continue after a backslash or inside a quoted argument."""
    commands, current = [], ""
    for line in text.splitlines():
        if current or line.lstrip().startswith("curl "):
            current += line.rstrip("\\") + "\n"
            if not line.endswith("\\") and current.count("'") % 2 == 0:
                commands.append(current)
                current = ""
    return commands


def _param(prefix: str) -> str:
    return {"pay": "payment_id", "rfnd": "refund_id", "we": "endpoint_id", "whd": "delivery_id"}[prefix]


def _schema_for(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    return {**ref, "components": document["components"]}


def test_the_readmes_example_requests_match_the_document(document: dict[str, Any]) -> None:
    examples = _readme_requests()

    assert {path for _, path, _ in examples} >= {"/payments", "/payments/{payment_id}/refunds", "/webhook-endpoints"}
    for method, path, body in examples:
        schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.validate(body, _schema_for(document, schema))


def test_the_readmes_error_example_matches_the_document(document: dict[str, Any]) -> None:
    [example] = re.findall(r'^\{"error": .*\}$', README.read_text(), re.M)

    jsonschema.validate(json.loads(example), _schema_for(document, {"$ref": "#/components/schemas/ErrorResponse"}))


def test_the_documents_own_examples_match_their_schemas(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            jsonschema.validate(example, _schema_for(document, {"$ref": f"#/components/schemas/{name}"}))


def test_a_real_payment_and_its_event_match_the_document(api: Any, poller: Any, document: dict[str, Any]) -> None:
    from tests.conftest import payment_body, settled_payment

    created = api.post("/payments", json=payment_body())
    settled = settled_payment(api, created.json()["id"])
    deliveries = api.get("/webhooks").json()
    payment_schema = _schema_for(document, {"$ref": "#/components/schemas/Payment"})

    jsonschema.validate(created.json(), payment_schema)
    jsonschema.validate(settled, payment_schema)
    jsonschema.validate(deliveries, _schema_for(document, {"$ref": "#/components/schemas/WebhookDeliveryList"}))


def test_the_committed_file_is_pretty_printed_for_review() -> None:
    text = COMMITTED.read_text()
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
