"""Payments: what ``POST /payments`` and ``POST /payments/{id}/capture`` take, and the payment we return."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared import cards
from shared.models.base import Request, Shape, ShortText, Timestamp

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import PaymentRow

# ISO-4217 codes we settle. Amounts are always in the currency's minor unit (JPY has none).
CURRENCIES = frozenset({"INR", "USD", "EUR", "GBP", "SGD", "AED", "AUD", "CAD", "JPY"})
MAX_AMOUNT = 10_000_000_000  # 10 crore rupees in paise; larger payments need a human anyway
_VPA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}$")


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class PaymentMethod(StrEnum):
    CARD = "card"
    UPI = "upi"


def _known_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"currency must be one of {', '.join(sorted(CURRENCIES))}")
    return value


Currency = Annotated[str, AfterValidator(_known_currency), Field(json_schema_extra={"enum": sorted(CURRENCIES)})]
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT, description="In the currency's minor unit (paise, cents)")]


class Card(Request):
    number: Annotated[str, StringConstraints(min_length=1, max_length=23)]
    expiry_month: int = Field(ge=1, le=12)
    expiry_year: int = Field(ge=0, le=9999, description="Two or four digits")
    cvv: Annotated[str, StringConstraints(min_length=1, max_length=4)]
    name: Annotated[str, StringConstraints(max_length=100)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        digits = cards.normalise(self.number)
        if digits is None or not 12 <= len(digits) <= 19:
            raise ValueError("card.number must be 12 to 19 digits")
        if not cards.luhn_ok(digits):
            raise ValueError("card.number is not a valid card number")
        today = dt.datetime.now(dt.UTC).date()
        if (self.year, self.expiry_month) < (today.year, today.month):
            raise ValueError("card has expired")
        if self.year > today.year + 25:
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


Metadata = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=40)],
        Annotated[str, StringConstraints(max_length=500)],
    ],
    Field(max_length=20, description="Up to 20 keys of your own; returned as sent"),
]


class CreatePayment(Request):
    # The README's own requests (the seed's card payment, and a UPI one).
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount": 50000,
                    "currency": "INR",
                    "method": "card",
                    "order_id": "order_999",
                    "card": {
                        "number": "4111111111111111",
                        "expiry_month": 12,
                        "expiry_year": 2030,
                        "cvv": "123",
                        "name": "Asha Rao",
                    },
                },
                {"amount": 50000, "currency": "INR", "method": "upi", "order_id": "order_1000", "vpa": "success@upi"},
            ]
        }
    )
    amount: Amount
    currency: Currency
    method: Annotated[PaymentMethod, Strict(False)]
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    card: Card | None = Field(default=None, description="Required when method is card")
    vpa: Annotated[str, StringConstraints(max_length=320)] | None = Field(
        default=None, description="Required when method is upi: name@bank"
    )
    description: ShortText | None = None
    metadata: Metadata = Field(default_factory=dict)

    # Field validators (not one model validator) so that errors name their field.
    @field_validator("card")
    @classmethod
    def _card_only_for_cards(cls, value: Card | None, info: ValidationInfo) -> Card | None:
        if value is not None and info.data.get("method") == PaymentMethod.UPI:
            raise ValueError("card is only allowed when method is card")
        return value

    @field_validator("vpa")
    @classmethod
    def _vpa_only_for_upi(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("method") == PaymentMethod.CARD:
            raise ValueError("vpa is only allowed when method is upi")
        if value is not None and not _VPA.match(value):
            raise ValueError("vpa must look like name@bank")
        return value


class CapturePayment(Request):
    amount: Amount | None = Field(default=None, description="If sent, must equal the payment's amount")


class PaymentCard(Shape):
    """What we keep of a card: never the number or CVV."""

    network: str
    last4: str
    expiry_month: int
    expiry_year: int


class Payment(Shape):
    # The answer to the README's first request (the seed's card payment), once settled.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "pay_0VcagQa59kKnS6mu7l8C",
                    "entity": "payment",
                    "livemode": False,
                    "amount": 50000,
                    "currency": "INR",
                    "status": "success",
                    "method": "card",
                    "order_id": "order_999",
                    "description": None,
                    "metadata": {},
                    "captured": False,
                    "amount_refunded": 0,
                    "card": {"network": "visa", "last4": "1111", "expiry_month": 12, "expiry_year": 2030},
                    "vpa": None,
                    "error_code": None,
                    "error_description": None,
                    "processing_error": None,
                    "created_at": "2026-12-01T10:00:00.000Z",
                    "updated_at": "2026-12-01T10:00:01.012Z",
                    "captured_at": None,
                }
            ]
        }
    )

    id: str = Field(examples=["pay_H8sK3jD9s2L1pQ"])
    entity: Literal["payment"] = "payment"
    livemode: bool
    amount: int
    currency: str
    status: PaymentStatus
    method: PaymentMethod
    order_id: str
    description: str | None
    metadata: dict[str, str]
    captured: bool
    amount_refunded: int
    card: PaymentCard | None
    vpa: str | None
    error_code: str | None
    error_description: str | None
    processing_error: str | None = Field(description="Set while the gateway could not process it; see Troubleshooting")
    created_at: Timestamp
    updated_at: Timestamp
    captured_at: Timestamp | None

    @classmethod
    def from_row(cls, row: PaymentRow) -> Payment:
        network, last4 = row["card_network"], row["card_last4"]
        month, year = row["card_expiry_month"], row["card_expiry_year"]
        card = None
        if network and last4 and month and year:
            card = PaymentCard(network=network, last4=last4, expiry_month=month, expiry_year=year)
        return cls(
            id=row["id"],
            livemode=row["livemode"],
            amount=row["amount_minor"],
            currency=row["currency"].strip(),
            status=PaymentStatus(row["status"]),
            method=PaymentMethod(row["method"]),
            order_id=row["order_id"],
            description=row["description"],
            metadata=row["metadata"],
            captured=row["captured"],
            amount_refunded=row.get("amount_refunded", 0),
            card=card,
            vpa=row["vpa"],
            error_code=row["error_code"],
            error_description=row["error_description"],
            processing_error=row["processing_error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            captured_at=row["captured_at"],
        )


class PaymentList(Shape):
    data: list[Payment]
    total: int
    limit: int
    offset: int
