"""The error body every 4xx and 5xx carries (built by ``shared.errors.error_body``)."""

from __future__ import annotations

from pydantic import Field

from shared.errors import ErrorCode
from shared.models.base import Shape


class ErrorDetail(Shape):
    code: ErrorCode
    description: str = Field(description="A sentence for a person; do not parse it")
    field: str | None = Field(description="The request field at fault, dotted (card.number), if one is")


class ErrorResponse(Shape):
    error: ErrorDetail
