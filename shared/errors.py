"""Errors we raise on purpose. ``shared.http`` maps them to responses; ``shared.queue`` to retries.

GatewayError
├── InvalidRequest        400 BAD_REQUEST_ERROR
│   └── PayloadTooLarge   413 BAD_REQUEST_ERROR
├── Unauthorized          401 AUTHENTICATION_ERROR
├── Forbidden             403 PERMISSION_ERROR
├── NotFound              404 NOT_FOUND_ERROR
├── MethodNotAllowed      405 METHOD_NOT_ALLOWED_ERROR
├── IdempotencyInProgress 409 IDEMPOTENCY_KEY_IN_USE
├── IdempotencyMismatch   422 IDEMPOTENCY_ERROR
├── FeatureDisabled       404 NOT_FOUND_ERROR
├── RateLimited           429 RATE_LIMIT_ERROR (retryable, after ``retry_after_s``)
└── UpstreamUnavailable   503 SERVER_ERROR (retryable)
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_REQUEST_ERROR = "BAD_REQUEST_ERROR"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    PERMISSION_ERROR = "PERMISSION_ERROR"
    NOT_FOUND_ERROR = "NOT_FOUND_ERROR"
    METHOD_NOT_ALLOWED_ERROR = "METHOD_NOT_ALLOWED_ERROR"
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"
    IDEMPOTENCY_ERROR = "IDEMPOTENCY_ERROR"
    REQUEST_TIMEOUT_ERROR = "REQUEST_TIMEOUT_ERROR"
    RATE_LIMIT_ERROR = "RATE_LIMIT_ERROR"
    SERVER_ERROR = "SERVER_ERROR"


def error_body(code: ErrorCode, description: str, field: str | None = None) -> dict[str, object]:
    """Every error we answer, from a handler, the adapter or the HTTP edge, has this shape
    (``shared.models.errors.ErrorResponse`` documents it)."""
    return {"error": {"code": code.value, "description": description, "field": field}}


class GatewayError(Exception):
    status = 500
    code = ErrorCode.SERVER_ERROR
    retryable = False

    def __init__(self, description: str, *, field: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.field = field

    def body(self) -> dict[str, object]:
        return error_body(self.code, self.description, self.field)


class InvalidRequest(GatewayError):
    status, code = 400, ErrorCode.BAD_REQUEST_ERROR


class PayloadTooLarge(InvalidRequest):
    status = 413


class Unauthorized(GatewayError):
    status, code = 401, ErrorCode.AUTHENTICATION_ERROR


class Forbidden(GatewayError):
    status, code = 403, ErrorCode.PERMISSION_ERROR


class NotFound(GatewayError):
    status, code = 404, ErrorCode.NOT_FOUND_ERROR


class FeatureDisabled(NotFound):
    pass


class MethodNotAllowed(GatewayError):
    status, code = 405, ErrorCode.METHOD_NOT_ALLOWED_ERROR


class IdempotencyInProgress(GatewayError):
    status, code = 409, ErrorCode.IDEMPOTENCY_KEY_IN_USE


class IdempotencyMismatch(GatewayError):
    status, code = 422, ErrorCode.IDEMPOTENCY_ERROR


class RateLimited(GatewayError):
    status, code, retryable = 429, ErrorCode.RATE_LIMIT_ERROR, True

    def __init__(self, description: str, *, retry_after_s: int) -> None:
        super().__init__(description)
        # Whole seconds and at least 1: Retry-After takes no fractions, and 0 invites a tight loop.
        self.retry_after_s = max(1, retry_after_s)


class UpstreamUnavailable(GatewayError):
    status, code, retryable = 503, ErrorCode.SERVER_ERROR, True
