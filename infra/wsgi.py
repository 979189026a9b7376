"""A WSGI adapter over Chalice's own API Gateway emulation, so gunicorn can serve ``app.py``.

``chalice local`` is a single-process development server; this runs the same routes, in the same
event format, under a real multi-process server. ``LocalGateway`` is not public Chalice API,
which is why chalice is pinned and ``tests/infra/test_wsgi.py`` exercises this adapter.
"""

from __future__ import annotations

import base64
import contextvars
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import LambdaContext, LocalGateway, LocalGatewayException

from app import app
from shared import ids
from shared.config import settings
from shared.errors import ErrorCode, error_body
from shared.models.base import dumps

PROJECT_DIR = Path(__file__).resolve().parent.parent
StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _error(status: int, code: ErrorCode, description: str) -> tuple[int, dict[str, str], bytes]:
    body = dumps(error_body(code, description)).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Request-Id": ids.new("req"),
        # Browsers can only read the error if it carries CORS headers, like our routes' answers.
        "Access-Control-Allow-Origin": settings().cors_allow_origin,
    }
    return status, headers, body


def _chalice_error_to_ours(status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Chalice answers a few cases (wrong method, say) itself, as ``{"Code", "Message"}``."""
    if b'"Code"' not in body:
        # Not one of Chalice's (it writes the key as it is): no need to decode a whole answer (issue 12).
        return status, headers, body
    try:
        parsed = json.loads(body)
    except ValueError:
        return status, headers, body
    if isinstance(parsed, dict) and set(parsed) == {"Code", "Message"}:
        code = ErrorCode.METHOD_NOT_ALLOWED_ERROR if status == 405 else ErrorCode.BAD_REQUEST_ERROR
        status, ours, body = _error(status, code, str(parsed["Message"]))
        return status, {**headers, **ours}, body
    return status, headers, body


# The address of the client whose request is being handled (the socket's peer, REMOTE_ADDR).
_client_address: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="")


class _Gateway(LocalGateway):
    """Chalice's API Gateway stand-in, but with each caller's own address as ``sourceIp``.

    Chalice's says 127.0.0.1 for everyone; the rate limits (shared/ratelimit.py) read this field,
    as they do behind the real API Gateway.
    """

    def __init__(self, app_object: Any, config: Any) -> None:
        super().__init__(app_object, config)
        # Chalice looks these up through the config's chain on every request; they never change.
        timeout_s = self.MAX_LAMBDA_EXECUTION_TIME if config.lambda_timeout is None else config.lambda_timeout
        self._context_args = (config.function_name, config.lambda_memory_size, timeout_s * 1000)

    def _generate_lambda_context(self) -> LambdaContext:
        function_name, memory_size, max_runtime_ms = self._context_args
        return LambdaContext(function_name, memory_size, max_runtime_ms=max_runtime_ms)

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        event = super()._generate_lambda_event(method, path, headers, body)
        event["requestContext"]["identity"]["sourceIp"] = _client_address.get()
        return event


def _route_path(environ: dict[str, Any]) -> str:
    """The path Chalice routes on, one segment per segment the client sent.

    Chalice matches a decoded path, so a path parameter sent as ``%2F``, ``%3F`` or ``%3B`` would
    become a separator and pick another route (or the query string). Such segments stay encoded:
    the parameter then names no object (404), as the client meant.
    """
    raw = urllib.parse.urlsplit(environ.get("RAW_URI") or "").path
    if not raw:
        return environ.get("PATH_INFO", "/") or "/"
    segments = []
    for segment in raw.split("/"):
        decoded = urllib.parse.unquote(segment, errors="replace")
        segments.append(urllib.parse.quote(decoded, safe="") if _RESERVED.search(decoded) else decoded)
    return "/".join(segments)


# What must not appear decoded in a path segment we hand to Chalice.
_RESERVED = re.compile(r"[/?#;%]")


class ChaliceWSGI:
    def __init__(self, stage: str = "dev") -> None:
        config = CLIFactory(str(PROJECT_DIR), environ=dict(os.environ)).create_config_obj(chalice_stage_name=stage)
        self.gateway = _Gateway(app, config)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = _route_path(environ)
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        _client_address.set(str(environ.get("REMOTE_ADDR") or ""))
        try:
            response = self.gateway.handle_request(method, path, headers, body)
            status = int(response["statusCode"])
            out_headers = dict(response.get("headers") or {})
            raw = response.get("body") or b""
            payload = raw.encode() if isinstance(raw, str) else raw
            if response.get("isBase64Encoded"):
                payload = base64.b64decode(payload)
            status, out_headers, payload = _chalice_error_to_ours(status, out_headers, payload)
        except LocalGatewayException:
            # Chalice's stand-in for API Gateway's "Missing Authentication Token" on unknown paths.
            status, out_headers, payload = _error(404, ErrorCode.NOT_FOUND_ERROR, f"No such endpoint: {method} {path}")
        out_headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", list(out_headers.items()))
        return [payload]


application = ChaliceWSGI(os.environ.get("CHALICE_STAGE", "dev"))
