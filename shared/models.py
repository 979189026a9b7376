"""Request models (pydantic, strict) and the public JSON shape of every object we return."""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared import cards
from shared.errors import InvalidRequest

# ISO-4217 codes we settle. Amounts are always in the currency's minor unit (JPY has none).
CURRENCIES = frozenset({"INR", "USD", "EUR", "GBP", "SGD", "AED", "AUD", "CAD", "JPY"})
MAX_AMOUNT = 10_000_000_000  # 10 crore rupees in paise; larger payments need a human anyway
EVENT_TYPES = (
    "payment.created",
    "payment.pending",
    "payment.success",
    "payment.failed",
    "payment.captured",
    "refund.created",
    "refund.processed",
    "refund.failed",
)
# Sent only on request, to one endpoint, to check it works; never subscribed to.
TEST_EVENT = "webhook.test"
_VPA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}$")


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class _Strict(BaseModel):
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


ShortText = Annotated[str, StringConstraints(max_length=255)]


class Card(_Strict):
    number: Annotated[str, StringConstraints(min_length=1, max_length=23)]
    expiry_month: int = Field(ge=1, le=12)
    expiry_year: int = Field(ge=0, le=9999)
    cvv: Annotated[str, StringConstraints(min_length=1, max_length=4)]
    name: Annotated[str, StringConstraints(max_length=100)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        digits = cards.normalise(self.number)
        if digits is None or not 12 <= len(digits) <= 19:
            raise ValueError("card.number must be 12 to 19 digits")
        if not cards.luhn_ok(digits):
            raise ValueError("card.number is not a valid card number")
        year = self.expiry_year + 2000 if self.expiry_year < 100 else self.expiry_year
        today = dt.datetime.now(dt.UTC).date()
        if (year, self.expiry_month) < (today.year, today.month):
            raise ValueError("card has expired")
        if year > today.year + 25:
            raise ValueError("card.expiry_year is too far in the future")
        network = cards.network(digits)
        if not self.cvv.isdigit() or len(self.cvv) != cards.cvv_length(network):
            raise ValueError(f"card.cvv must be {cards.cvv_length(network)} digits")
        return self

    @property
    def digits(self) -> str:
        return cards.normalise(self.number) or ""

    @property
    def year(self) -> int:
        return self.expiry_year + 2000 if self.expiry_year < 100 else self.expiry_year


class CreatePayment(_Strict):
    amount: int = Field(ge=1, le=MAX_AMOUNT)
    currency: str
    method: Literal["card", "upi"]
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    card: Card | None = None
    vpa: Annotated[str, StringConstraints(max_length=320)] | None = None
    description: ShortText | None = None
    metadata: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=40)],
            Annotated[str, StringConstraints(max_length=500)],
        ],
        Field(max_length=20),
    ] = Field(default_factory=dict)

    # Field validators (not one model validator) so that errors name their field.
    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"currency must be one of {', '.join(sorted(CURRENCIES))}")
        return value

    @field_validator("card")
    @classmethod
    def _card_only_for_cards(cls, value: Card | None, info: ValidationInfo) -> Card | None:
        if value is not None and info.data.get("method") == "upi":
            raise ValueError("card is only allowed when method is card")
        return value

    @field_validator("vpa")
    @classmethod
    def _vpa_only_for_upi(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("method") == "card":
            raise ValueError("vpa is only allowed when method is upi")
        if value is not None and not _VPA.match(value):
            raise ValueError("vpa must look like name@bank")
        return value


class CapturePayment(_Strict):
    amount: int | None = Field(default=None, ge=1, le=MAX_AMOUNT)


class CreateRefund(_Strict):
    amount: int = Field(ge=1, le=MAX_AMOUNT)
    reason: ShortText | None = None


EventList = Annotated[list[Literal[EVENT_TYPES]], Field(min_length=1, max_length=len(EVENT_TYPES))]  # type: ignore[valid-type]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class CreateWebhookEndpoint(_Strict):
    url: WebhookUrl
    events: EventList | None = None
    description: ShortText | None = None


class UpdateWebhookEndpoint(_Strict):
    url: WebhookUrl | None = None
    events: EventList | None = None
    enabled: bool | None = None
    description: ShortText | None = None


# ---- public shapes -------------------------------------------------------------------------


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 UTC with millisecond precision and a ``Z``: what every timestamp we return looks like."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def payment_public(row: dict[str, Any]) -> dict[str, Any]:
    card = None
    if row["card_last4"]:
        card = {
            "network": row["card_network"],
            "last4": row["card_last4"],
            "expiry_month": row["card_expiry_month"],
            "expiry_year": row["card_expiry_year"],
        }
    return {
        "id": row["id"],
        "entity": "payment",
        "livemode": row["livemode"],
        "amount": row["amount_minor"],
        "currency": row["currency"].strip(),
        "status": row["status"],
        "method": row["method"],
        "order_id": row["order_id"],
        "description": row["description"],
        "metadata": row["metadata"],
        "captured": row["captured"],
        "amount_refunded": row.get("amount_refunded", 0),
        "card": card,
        "vpa": row["vpa"],
        "error_code": row["error_code"],
        "error_description": row["error_description"],
        "processing_error": row["processing_error"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "captured_at": iso(row["captured_at"]),
    }


def refund_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "entity": "refund",
        "livemode": row["livemode"],
        "payment_id": row["payment_id"],
        "amount": row["amount_minor"],
        "currency": row["currency"].strip(),
        "reason": row["reason"],
        "status": row["status"],
        "error_code": row["error_code"],
        "processing_error": row["processing_error"],
        "created_at": iso(row["created_at"]),
        "processed_at": iso(row["processed_at"]),
    }


def mask_secret(secret: str) -> str:
    return secret[:10] + "…" + secret[-4:] if len(secret) > 16 else "whsec_…"


def endpoint_public(row: dict[str, Any], *, reveal_secret: bool = False) -> dict[str, Any]:
    return {
        "id": row["id"],
        "entity": "webhook_endpoint",
        "livemode": row["livemode"],
        "url": row["url"],
        "events": list(row["events"]) if row["events"] is not None else list(EVENT_TYPES),
        "enabled": row["enabled"],
        "description": row["description"],
        "secret": row["secret"] if reveal_secret else mask_secret(row["secret"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def delivery_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "entity": "webhook_delivery",
        "livemode": row["livemode"],
        "endpoint_id": row["endpoint_id"],
        "url": row.get("url"),
        "event": row["event_type"],
        "event_id": row["event_id"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_attempt_at": iso(row["last_attempt_at"]),
        "next_retry_at": iso(row["next_retry_at"]) if row["status"] == DeliveryStatus.PENDING else None,
        "response_code": row["response_code"],
        "duration_ms": row["last_duration_ms"],
        "last_error": row["last_error"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def attempt_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "trigger": row["trigger"],
        "attempted_at": iso(row["attempted_at"]),
        "response_code": row["response_code"],
        "duration_ms": row["duration_ms"],
        "response_body": row["response_body"],
        "error": row["error"],
    }


def dumps(body: object) -> str:
    """The one JSON encoding we use for responses, events and idempotent replays."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
