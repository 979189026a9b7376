"""Webhook deliveries: one per (event, endpoint), with an attempt per HTTP request made for it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from shared.models.base import Shape, Timestamp
from shared.models.events import EventType

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import AttemptRow, DeliveryRow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class AttemptTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"


class WebhookDelivery(Shape):
    id: str = Field(examples=["whd_P9sL2kD8wQ3mZx"])
    entity: Literal["webhook_delivery"] = "webhook_delivery"
    livemode: bool
    endpoint_id: str
    url: str | None
    event: EventType | Literal["webhook.test"]  # events.TEST_EVENT
    event_id: str
    status: DeliveryStatus
    attempts: int
    last_attempt_at: Timestamp | None
    next_retry_at: Timestamp | None = Field(description="Set while pending: when the next attempt is due")
    response_code: int | None
    duration_ms: int | None
    last_error: str | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def from_row(cls, row: DeliveryRow) -> WebhookDelivery:
        return cls(**_delivery_fields(row))


class Attempt(Shape):
    number: int
    trigger: AttemptTrigger
    attempted_at: Timestamp
    response_code: int | None
    duration_ms: int | None
    response_body: str | None = Field(
        description="At most WEBHOOK_RESPONSE_BODY_MAX_BYTES of what the endpoint answered"
    )
    error: str | None

    @classmethod
    def from_row(cls, row: AttemptRow) -> Attempt:
        return cls(
            number=row["number"],
            trigger=AttemptTrigger(row["trigger"]),
            attempted_at=row["attempted_at"],
            response_code=row["response_code"],
            duration_ms=row["duration_ms"],
            response_body=row["response_body"],
            error=row["error"],
        )


class WebhookDeliveryDetail(WebhookDelivery):
    payload: dict[str, Any] | None = Field(description="The event exactly as it was signed and sent")
    attempt_log: list[Attempt]

    @classmethod
    def from_rows(
        cls, row: DeliveryRow, payload: dict[str, Any] | None, attempts: list[AttemptRow]
    ) -> WebhookDeliveryDetail:
        return cls(**_delivery_fields(row), payload=payload, attempt_log=[Attempt.from_row(a) for a in attempts])


class WebhookDeliveryList(Shape):
    data: list[WebhookDelivery]
    total: int
    limit: int
    offset: int


def _delivery_fields(row: DeliveryRow) -> dict[str, Any]:
    return {
        "id": row["id"],
        "livemode": row["livemode"],
        "endpoint_id": row["endpoint_id"],
        "url": row.get("url"),
        "event": row["event_type"],
        "event_id": row["event_id"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_attempt_at": row["last_attempt_at"],
        "next_retry_at": row["next_retry_at"] if row["status"] == DeliveryStatus.PENDING else None,
        "response_code": row["response_code"],
        "duration_ms": row["last_duration_ms"],
        "last_error": row["last_error"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
