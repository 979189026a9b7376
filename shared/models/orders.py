"""Orders: what ``POST /orders`` takes, the order we return, and the part checkout may read."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from shared.models.base import Request, Shape, Timestamp
from shared.models.payments import Amount, Currency, Metadata, Payment

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import OrderRow


class OrderStatus(StrEnum):
    CREATED = "created"
    ATTEMPTED = "attempted"  # a payment was made for it; none has succeeded yet
    PAID = "paid"


class CreateOrder(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": 50000, "currency": "INR", "receipt": "order_999"}]}
    )

    amount: Amount
    currency: Currency
    receipt: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="Your own reference (order number). A payment's order_id may name the order by it.",
    )
    notes: Metadata = Field(default_factory=dict)


class Order(Shape):
    id: str = Field(examples=["order_0VcagQa59kKnS6mu7l8C"])
    entity: Literal["order"] = "order"
    livemode: bool
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, str]
    status: OrderStatus
    attempts: int = Field(description="Payments made for it")
    paid_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return cls(
            id=row["id"],
            livemode=row["livemode"],
            amount=row["amount_minor"],
            currency=row["currency"].strip(),
            receipt=row["receipt"],
            notes=row["notes"],
            status=OrderStatus(row["status"]),
            attempts=row["attempts"],
            paid_at=row["paid_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class OrderList(Shape):
    data: list[Order]
    total: int
    limit: int
    offset: int


class OrderPaymentList(Shape):
    data: list[Payment]
    total: int


class CheckoutOrder(Shape):
    """What a publishable key may read of an order: what to show and charge, and whether it is paid."""

    id: str
    entity: Literal["order"] = "order"
    amount: int
    currency: str
    status: OrderStatus

    @classmethod
    def from_row(cls, row: OrderRow) -> CheckoutOrder:
        return cls(
            id=row["id"],
            amount=row["amount_minor"],
            currency=row["currency"].strip(),
            status=OrderStatus(row["status"]),
        )
