"""The OpenAPI 3.1 document, generated from the route table (each handler's ``OPERATION``) and the
pydantic models the handlers parse and answer with. Nothing in it is written by hand.

What every operation can answer besides its successes follows from how it is declared: a key
(401), the secret key (403), a path parameter (404), a body (413), an ``Idempotency-Key`` (409,
422), and for all of them 400 (malformed input), 429 (rate limits) and 500/503.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import idempotency
from shared.http import API_PREFIX, Call, Operation, Reply
from shared.models.errors import ErrorResponse
from shared.models.events import PAYLOADS
from shared.models.payments import Payment
from shared.models.refunds import Refund
from shared.models.webhook_deliveries import WebhookDelivery
from shared.models.webhook_endpoints import WebhookEndpoint

VERSION = "1.0.0"
_SCHEMAS = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")
# The path parameter that names what each model is the answer for.
_ID_PARAM = {
    _SCHEMAS.format(model=model.__name__): param
    for model, param in (
        (Payment, "payment_id"),
        (Refund, "refund_id"),
        (WebhookEndpoint, "endpoint_id"),
        (WebhookDelivery, "delivery_id"),
    )
}


class Endpoint(Protocol):
    """A handler module: its ``OPERATION`` and its ``handle``."""

    OPERATION: Operation

    def handle(self, call: Call) -> Reply: ...


_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "secret": [{"SecretKey": []}],
    "publishable": [{"SecretKey": []}, {"PublishableKey": []}],
    "optional": [{}, {"SecretKey": []}, {"PublishableKey": []}],
    "public": [],
}

_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "This request's id; quote it when you contact support",
        "schema": {"type": "string", "examples": ["req_Z8x2kD9sL3pQ1w"]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Whole seconds (at least 1) until a request will go through",
        "schema": {"type": "integer", "minimum": 1},
    },
}

_ERRORS = {
    400: "The request is malformed or breaks a rule; `error.field` names the field at fault",
    401: "No API key, or one we do not know",
    403: "A publishable key, where the secret key is needed",
    404: "No such object in this key's merchant and mode",
    409: "A request with this Idempotency-Key is still being processed; retry shortly",
    413: "The body is larger than MAX_BODY_BYTES",
    422: "This Idempotency-Key was used with a different request",
    429: "Over a rate limit; wait Retry-After seconds",
    500: "A fault on our side; quote X-Request-Id",
    503: "PostgreSQL or Redis is unreachable; retry with the same Idempotency-Key",
}


@functools.cache
def document(endpoints: tuple[Endpoint, ...]) -> dict[str, Any]:
    """The whole document for these handler modules (cached: it depends on code only)."""
    operations = [e.OPERATION for e in endpoints]
    schemas = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint, operation in zip(endpoints, operations, strict=True):
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(endpoint, operation)
    _link(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Payment gateway API",
            "version": VERSION,
            "description": (
                "Payments, refunds and signed webhooks. Amounts are integers in the currency's minor unit. "
                "Every object carries `livemode`, the mode of the key that made it; keys of the other mode "
                "never see it. Errors always have the `ErrorResponse` shape."
            ),
        },
        "servers": [{"url": API_PREFIX, "description": "This server"}],
        "paths": paths,
        "webhooks": _webhooks(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "SecretKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Api-Key",
                    "description": "`key_test_…` or `key_live_…`: everything. Keep it on your server.",
                },
                "PublishableKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Api-Key",
                    "description": "`pk_test_…` or `pk_live_…`: create and read payments; safe in a web page.",
                },
            },
            "headers": {name: spec for name, spec in _HEADERS.items()},
        },
    }


def _schemas(operations: Iterable[Operation]) -> dict[str, Any]:
    requests = {op.body for op in operations if op.body is not None}
    answers = {model for op in operations for model in op.responses.values() if model is not None}
    answers |= {ErrorResponse, *PAYLOADS.values()}
    inputs: list[tuple[type[BaseModel], Any]] = [(m, "validation") for m in sorted(requests, key=_name)]
    outputs: list[tuple[type[BaseModel], Any]] = [(m, "serialization") for m in sorted(answers, key=_name)]
    _, found = models_json_schema([*inputs, *outputs], ref_template=_SCHEMAS)
    return dict(sorted(found.get("$defs", {}).items()))


def _name(model: type[BaseModel]) -> str:
    return model.__name__


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _SCHEMAS.format(model=model.__name__)}


def _operation(endpoint: Endpoint, op: Operation) -> dict[str, Any]:
    path_params = _PATH_PARAM.findall(op.path)
    spec: dict[str, Any] = {
        "operationId": endpoint.handle.__module__.rsplit(".", 1)[-1],
        "summary": op.summary,
        "tags": [op.path.strip("/").split("/")[0]],
        "security": _SECURITY[op.access],
    }
    if op.description:
        spec["description"] = op.description
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
        for name in path_params
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": False, "description": q.description, "schema": dict(q.schema)}
        for q in op.query
    ]
    if op.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retry safely with the same key: the first answer is kept 24 hours and replayed",
                "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
            }
        )
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        spec["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    success_headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    if op.idempotent:
        success_headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/Idempotent-Replayed"}
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        content = _ref(model) if model is not None else {"type": "object"}
        responses[str(status)] = {
            "description": _reason(status),
            "headers": success_headers,
            "content": {"application/json": {"schema": content}},
        }
    for status in _error_statuses(op, bool(path_params)):
        headers: dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
        if status == 429:
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        description = _ERRORS[status]
        if status in op.refusals:
            description += "; or: " + op.refusals[status]
        responses[str(status)] = {
            "description": description,
            "headers": headers,
            "content": {"application/json": {"schema": _ref(ErrorResponse)}},
        }
    spec["responses"] = responses
    return spec


def _link(paths: dict[str, dict[str, Any]]) -> None:
    """OpenAPI links from what a create answers to the operations on it (payment → capture, refund, …),
    so clients (and stateful fuzzers) can follow one object through its life."""
    for operations in paths.values():
        for method, spec in operations.items():
            if method != "post":
                continue
            for status, response in spec["responses"].items():
                param = _ID_PARAM.get(response["content"]["application/json"]["schema"].get("$ref", ""))
                if not status.startswith("2") or param is None:
                    continue
                response["links"] = {
                    other["operationId"]: {
                        "operationId": other["operationId"],
                        "parameters": {param: "$response.body#/id"},
                    }
                    for other_path, others in paths.items()
                    if _PATH_PARAM.findall(other_path) == [param]
                    for other in others.values()
                }


def _error_statuses(op: Operation, has_path_params: bool) -> list[int]:
    statuses = {400, 429, 500, 503, *op.refusals}
    if op.access != "public":
        statuses.add(401)
    if op.access == "secret":
        statuses.add(403)
    # Path parameters name objects; the optional-key job status answers 404 when switched off.
    if has_path_params or op.access == "optional":
        statuses.add(404)
    if op.body is not None:
        statuses.add(413)
    if op.idempotent:
        statuses |= {409, 422}
    return sorted(statuses)


def _reason(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted: the work is queued"}.get(status, "OK")


def _webhooks() -> dict[str, Any]:
    signature_headers = [
        {
            "name": "X-Webhook-Signature",
            "in": "header",
            "required": True,
            "description": "Hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret",
            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        {
            "name": "webhook-id",
            "in": "header",
            "required": True,
            "description": "Standard Webhooks: the message id, the same on every attempt; de-duplicate on it",
            "schema": {"type": "string"},
        },
        {
            "name": "webhook-timestamp",
            "in": "header",
            "required": True,
            "description": "Standard Webhooks: Unix seconds of this attempt; refuse it when over 5 minutes old",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
        {
            "name": "webhook-signature",
            "in": "header",
            "required": True,
            "description": "Standard Webhooks: space-separated `v1,<base64 HMAC>` over `id.timestamp.body`",
            "schema": {"type": "string"},
        },
    ]
    return {
        event: {
            "post": {
                "summary": event,
                "operationId": f"webhook_{event.replace('.', '_')}",
                "parameters": signature_headers,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(model)}}},
                "responses": {
                    "2XX": {"description": "Received. Any other answer, or none within the timeout, is retried"}
                },
            }
        }
        for event, model in PAYLOADS.items()
    }
