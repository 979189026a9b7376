"""What every request and response model shares: strict parsing with our error text, timestamps,
and the one JSON encoding we send."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from shared.errors import InvalidRequest

ShortText = Annotated[str, StringConstraints(max_length=255)]


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 UTC with millisecond precision and a ``Z``: what every timestamp we return looks like."""
    if value is None:
        return None
    # isoformat truncates to the millisecond as the format says, and is half the cost of strftime.
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


# A datetime from the database, sent as ``iso`` text.
Timestamp = Annotated[
    dt.datetime,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T10:00:00.000Z"]}),
]


def dumps(body: object) -> str:
    """The one JSON encoding we use for responses, events and idempotent replays."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class Request(BaseModel):
    """A request body: strict types, no unknown fields, errors in words that name the field."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @classmethod
    def parse(cls, data: object) -> Self:
        """Validate decoded JSON.

        Raises:
            InvalidRequest: naming the first offending field, in words, without pydantic's text.
        """
        if not isinstance(data, dict):
            raise InvalidRequest("The request body must be a JSON object")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc) from None


class Shape(BaseModel):
    """Something we send: every field is always present (null when empty), so the schema requires them all."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    def public(self) -> dict[str, Any]:
        """The JSON-ready dict, e.g. for an event's ``data``."""
        return self.model_dump(mode="json")


def _invalid(exc: ValidationError) -> InvalidRequest:
    err = exc.errors(include_url=False, include_input=False)[0]
    # Dict-key errors carry a "[key]" marker in their location; the field is the dict itself.
    field = ".".join(str(part) for part in err["loc"] if part not in ("", "[key]")) or None
    name = field or "The request body"
    ctx = err.get("ctx") or {}
    kind = err["type"]
    messages = {
        "missing": f"{name} is required",
        "extra_forbidden": f"{name} is not a recognised parameter",
        "int_type": f"{name} must be an integer",
        "int_parsing": f"{name} must be an integer",
        "string_type": f"{name} must be a string",
        "bool_type": f"{name} must be true or false",
        "dict_type": f"{name} must be an object",
        "model_type": f"{name} must be an object",
        "list_type": f"{name} must be an array",
        "literal_error": f"{name} must be one of {ctx.get('expected', '')}",
        "enum": f"{name} must be one of {ctx.get('expected', '')}",
        "greater_than_equal": f"{name} must be at least {ctx.get('ge')}",
        "less_than_equal": f"{name} must be at most {ctx.get('le')}",
        "string_too_short": f"{name} must not be empty",
        "string_too_long": f"{name} must be at most {ctx.get('max_length')} characters",
        "too_long": f"{name} has too many entries (at most {ctx.get('max_length')})",
        "too_short": f"{name} must have at least {ctx.get('min_length')} entries",
        "string_pattern_mismatch": f"{name} has an invalid format",
        "url_type": f"{name} must be a URL",
        "url_parsing": f"{name} must be a valid URL",
        "url_scheme": f"{name} must be an http or https URL",
    }
    if kind == "value_error":
        # Our own validators raise ValueError with a sentence meant for the merchant.
        message = str(ctx.get("error", f"{name} is invalid"))
    else:
        message = messages.get(kind, f"{name} is invalid")
    return InvalidRequest(message, field=field)
