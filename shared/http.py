"""The only code that knows about Chalice's request and response objects.

``route`` registers a handler; ``serve`` runs it: request id, body limits, rate limits,
authentication, the JSON error shape, and a generic 500 for anything unexpected (logged with its
traceback).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice import Chalice, CORSConfig, Response
from pydantic import BaseModel

from shared import auth, ids, log, ratelimit
from shared.config import settings
from shared.errors import (
    ErrorCode,
    GatewayError,
    InvalidRequest,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    error_body,
)
from shared.models.base import dumps

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Our request bodies nest a few levels at most; 32 leaves room and bounds the work per request.
MAX_JSON_DEPTH = 32
_TOO_DEEP = f"The request body must not nest more than {MAX_JSON_DEPTH} levels deep"


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request, as a handler sees it."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    request_id: str
    merchant_id: str = ""
    # The mode of the key the request carried: every object it reads or makes is in this mode.
    livemode: bool = False

    def json(self, *, empty_as: object = None) -> object:
        """The decoded body. ``empty_as`` is returned for an empty body when that is allowed.

        Raises:
            InvalidRequest: the body is not JSON (or empty where a body is required).
        """
        if not self.raw_body.strip():
            if empty_as is not None:
                return empty_as
            raise InvalidRequest("The request body must be a JSON object")
        try:
            data = json.loads(self.raw_body, parse_constant=_reject_constant)
        except ValueError:
            raise InvalidRequest("The request body is not valid JSON") from None
        except RecursionError:
            # The C decoder gives up near the interpreter's recursion limit (~1,000 levels).
            raise InvalidRequest(_TOO_DEEP) from None
        _check_json(data)
        return data

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def filters(self, params: Iterable[Query]) -> dict[str, str]:
        """The query parameters among ``params`` that were sent (paging aside), each checked against
        its documented choices. An empty one is refused: it cannot be what the caller meant.

        Raises:
            InvalidRequest: naming the parameter.
        """
        found = {}
        for param in params:
            value = self.query.get(param.name)
            if value is None or param.name in _PAGING:
                continue
            choices = param.schema.get("enum")
            if isinstance(choices, list) and value not in choices:
                raise InvalidRequest(f"{param.name} must be one of {', '.join(choices)}", field=param.name)
            if not value:
                raise InvalidRequest(f"{param.name} must not be empty", field=param.name)
            found[param.name] = value
        return found

    def page(self) -> tuple[int, int]:
        """``limit`` (1–100, default 20) and ``offset`` (≥ 0) from the query string."""
        return (
            _int_param(self.query, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            _int_param(self.query, "offset", 0, 0, 10_000_000),
        )


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: object  # a str is sent as it is (already-encoded JSON, e.g. an idempotent replay)
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]
Access = Literal["secret", "publishable", "optional", "public"]
API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Query:
    """A query-string parameter, as the API reference describes it (the handler checks it)."""

    name: str
    description: str
    schema: Mapping[str, object] = field(default_factory=lambda: {"type": "string", "minLength": 1})


_PAGING = ("limit", "offset")
PAGE = (
    Query(
        "limit",
        f"How many to return, 1–{MAX_PAGE_SIZE}",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    ),
    Query("offset", "How many to skip", {"type": "integer", "minimum": 0, "maximum": 10_000_000, "default": 0}),
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One route: how ``route`` serves it, and what the OpenAPI document (``shared.openapi``) says of it.

    ``path`` is under ``API_PREFIX``; ``responses`` maps each success status to its body's model. The
    error answers every operation can give follow from the rest (see ``shared.openapi``).
    ``access``: "secret" needs the secret API key, "publishable" also takes a publishable key,
    "optional" takes a key of either kind or none (the handler sees whose it was, if any),
    "public" needs no key and ignores one.
    """

    method: str
    path: str
    summary: str
    responses: Mapping[int, type[BaseModel] | None]  # None: any JSON object
    access: Access = "secret"
    body: type[BaseModel] | None = None
    body_optional: bool = False  # an empty body is taken as {}
    query: tuple[Query, ...] = ()
    idempotent: bool = False
    # Refusals particular to this operation, status -> when (e.g. 400 for a payment that is not settled).
    refusals: Mapping[int, str] = field(default_factory=dict)
    description: str = ""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _check_json(data: object) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` and NUL in any key or string, without recursing.

    A recursive walk overflowed the stack on bodies a few hundred levels deep (a 500, not a 400).

    Raises:
        InvalidRequest: too deep, or a NUL character.
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                # PostgreSQL text cannot hold U+0000; refuse it here rather than fail at INSERT.
                raise InvalidRequest("The request body must not contain NUL (\\u0000) characters")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(_TOO_DEEP)
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}", field=name)
    return int(raw)


def serve(request: Any, handler: Handler, params: Mapping[str, str], *, access: Access = "secret") -> Response:
    request_id = ids.new("req")
    with log.bound(request_id=request_id):
        try:
            reply = _dispatch(request, handler, params, request_id, access)
        except GatewayError as exc:
            reply = Reply(exc.status, exc.body(), _error_headers(exc))
        except Exception:
            logger.exception("http.unhandled", extra={"path": request.path})
            description = f"Something went wrong on our side; quote request id {request_id} if you contact support"
            reply = Reply(500, error_body(ErrorCode.SERVER_ERROR, description))
        body = reply.body if isinstance(reply.body, str) else dumps(reply.body)
        headers: dict[str, str | list[str]] = {
            "Content-Type": "application/json",
            "X-Request-Id": request_id,
            **reply.headers,
        }
        return Response(body=body, status_code=reply.status, headers=headers)


def _dispatch(request: Any, handler: Handler, params: Mapping[str, str], request_id: str, access: Access) -> Reply:
    raw_body: bytes = request.raw_body or b""
    if len(raw_body) > settings().max_body_bytes:
        raise PayloadTooLarge(f"The request body must be at most {settings().max_body_bytes} bytes")
    query = dict(request.query_params or {})
    if any("\x00" in key or "\x00" in value for key, value in query.items()):
        raise InvalidRequest("Query parameters must not contain NUL characters")
    headers = {k.lower(): v for k, v in request.headers.items()}
    api_key = headers.get("x-api-key")
    client_address = _client_address(request)
    # Before authentication: a wrong key is limited too, before it costs a database lookup.
    _take_rate_token(api_key, client_address, access)
    merchant_id = ""
    livemode = False
    if access != "public" and (api_key or access != "optional"):
        merchant_id, livemode = _authenticate(api_key, client_address, publishable_ok=access != "secret")
    call = Call(
        method=request.method,
        path=request.path,
        params=dict(params),
        query=query,
        headers=headers,
        raw_body=raw_body,
        request_id=request_id,
        merchant_id=merchant_id,
        livemode=livemode,
    )
    with log.bound(merchant_id=merchant_id or None):
        return handler(call)


def _take_rate_token(api_key: str | None, client_address: str, access: Access) -> None:
    """Take a token from the request's bucket (``shared.ratelimit`` says which).

    Raises:
        RateLimited: the bucket is empty, or the request carries a key and its address's failed
            authentications have used up theirs.
    """
    # A public route ignores the key, so it must not pick the bucket either: a made-up key per
    # request would get a fresh bucket every time.
    presented = None if access == "public" else api_key
    # A request with a key is authenticated next, so its address's failed authentications are
    # checked here, in the same Redis round trip (issue 12: one round trip fewer per request).
    ratelimit.default_limiter().take_request(presented, client_address, check_auth_failures=bool(presented))


def _authenticate(api_key: str | None, client_address: str, *, publishable_ok: bool) -> auth.Caller:
    """``auth.authenticate``, with keys that fail counted against the client address (whose failures
    ``_take_rate_token`` has already checked, before the lookup).

    Raises:
        Unauthorized, Forbidden: as ``auth.authenticate``.
    """
    try:
        return auth.authenticate(api_key, publishable_ok=publishable_ok)
    except Unauthorized:
        if api_key:
            ratelimit.default_limiter().note_auth_failure(client_address)
        raise


def _client_address(request: Any) -> str:
    # API Gateway's address for the caller; infra/wsgi.py puts the socket's peer there.
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def _error_headers(exc: GatewayError) -> dict[str, str]:
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after_s)}
    return {}


def cors() -> CORSConfig:
    return CORSConfig(
        allow_origin=settings().cors_allow_origin,
        allow_headers=["Content-Type", "X-Api-Key", "Idempotency-Key"],
        # Retry-After is not on the CORS safelist: without this a browser could not read it.
        expose_headers=["X-Request-Id", "Idempotent-Replayed", "Retry-After"],
        max_age=600,
    )


def route(app: Chalice, operation: Operation, handler: Handler) -> None:
    """Register ``handler`` for ``operation``; the view's name is the handler's module name."""
    name = handler.__module__.rsplit(".", 1)[-1]
    access = operation.access

    def view(**params: str) -> Response:
        return serve(app.current_request, handler, params, access=access)

    view.__name__ = name
    # '*/*': we parse bodies ourselves, so a wrong Content-Type gets our JSON error, not Chalice's.
    app.route(API_PREFIX + operation.path, methods=[operation.method], name=name, cors=cors(), content_types=["*/*"])(
        view
    )
