"""Refunds: what ``POST /payments/{id}/refunds`` takes, and the refund we return."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field

from shared.models.base import Request, Shape, ShortText, Timestamp
from shared.models.payments import Amount

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import RefundRow


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class CreateRefund(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": 5000, "reason": "Customer requested"}]})
    amount: Amount = Field(description="At most what is left to refund on the payment")
    reason: ShortText | None = None


class Refund(Shape):
    id: str = Field(examples=["rfnd_K2pL9sD3kQ7wXz"])
    entity: Literal["refund"] = "refund"
    livemode: bool
    payment_id: str
    amount: int
    currency: str
    reason: str | None
    status: RefundStatus
    error_code: str | None
    processing_error: str | None
    created_at: Timestamp
    processed_at: Timestamp | None

    @classmethod
    def from_row(cls, row: RefundRow) -> Refund:
        return cls(
            id=row["id"],
            livemode=row["livemode"],
            payment_id=row["payment_id"],
            amount=row["amount_minor"],
            currency=row["currency"].strip(),
            reason=row["reason"],
            status=RefundStatus(row["status"]),
            error_code=row["error_code"],
            processing_error=row["processing_error"],
            created_at=row["created_at"],
            processed_at=row["processed_at"],
        )


class RefundList(Shape):
    data: list[Refund]
    total: int
