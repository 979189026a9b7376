"""Events: their types, and the payload each one's webhook carries (the body that is signed)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from shared.models.base import Shape, Timestamp
from shared.models.orders import Order
from shared.models.payments import Payment
from shared.models.refunds import Refund

if TYPE_CHECKING:  # shared.db imports these models: at run time the rows are plain dicts
    from shared.db.rows import EventRow


class EventType(StrEnum):
    """What a webhook endpoint can subscribe to."""

    PAYMENT_CREATED = "payment.created"
    PAYMENT_PENDING = "payment.pending"
    PAYMENT_SUCCESS = "payment.success"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_CAPTURED = "payment.captured"
    REFUND_CREATED = "refund.created"
    REFUND_PROCESSED = "refund.processed"
    REFUND_FAILED = "refund.failed"
    ORDER_PAID = "order.paid"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"


# Sent only on request, to one endpoint, to check it works; never subscribed to.
TEST_EVENT = "webhook.test"
# What a delivery's ``event`` can be.
DELIVERED_EVENTS = (*EventType, TEST_EVENT)


class _Envelope(Shape):
    id: str = Field(examples=["evt_Q2w9sK3dL8pZ1x"], description="The same for every delivery of this event")
    livemode: bool
    timestamp: int = Field(description="When the event happened, in Unix seconds")


class PaymentData(Shape):
    payment: Payment


class RefundData(Shape):
    refund: Refund


class OrderData(Shape):
    order: Order
    payment: Payment = Field(description="The payment that paid it")


class DisabledEndpoint(Shape):
    id: str = Field(examples=["we_M3kD8sL2pQ9wZx"])
    url: str
    description: str | None
    disabled_reason: str = Field(examples=["The endpoint answered 410 Gone"])
    disabled_at: Timestamp
    failing_since: Timestamp | None = Field(description="When its current run of failed attempts began")
    consecutive_failures: int


class EndpointDisabledData(Shape):
    webhook_endpoint: DisabledEndpoint


class TestData(Shape):
    message: str
    endpoint_id: str


class PaymentEvent(_Envelope):
    event: Literal[
        EventType.PAYMENT_CREATED,
        EventType.PAYMENT_PENDING,
        EventType.PAYMENT_SUCCESS,
        EventType.PAYMENT_FAILED,
        EventType.PAYMENT_CAPTURED,
    ]
    data: PaymentData


class RefundEvent(_Envelope):
    event: Literal[EventType.REFUND_CREATED, EventType.REFUND_PROCESSED, EventType.REFUND_FAILED]
    data: RefundData


class OrderEvent(_Envelope):
    event: Literal[EventType.ORDER_PAID]
    data: OrderData


class EndpointDisabledEvent(_Envelope):
    """Sent to the merchant's other endpoints (of the same mode) when one is disabled for its health."""

    event: Literal[EventType.WEBHOOK_ENDPOINT_DISABLED]
    data: EndpointDisabledData


class TestEvent(_Envelope):
    event: Literal["webhook.test"]
    data: TestData


# The body of each delivery, by event type (the OpenAPI document's ``webhooks`` section).
PAYLOADS: dict[str, type[Shape]] = {
    **{t: PaymentEvent for t in EventType if t.startswith("payment.")},
    **{t: RefundEvent for t in EventType if t.startswith("refund.")},
    EventType.ORDER_PAID: OrderEvent,
    EventType.WEBHOOK_ENDPOINT_DISABLED: EndpointDisabledEvent,
    TEST_EVENT: TestEvent,
}


class Event(Shape):
    """An event as ``GET /events`` shows it: ``payload`` is the body that was signed and sent."""

    id: str = Field(examples=["evt_Q2w9sK3dL8pZ1x"])
    entity: Literal["event"] = "event"
    livemode: bool
    type: EventType | Literal["webhook.test"]  # TEST_EVENT
    object_id: str | None = Field(description="The payment, refund or webhook endpoint the event is about")
    created_at: Timestamp
    payload: dict[str, Any] = Field(
        description="The webhook body exactly as it was signed and sent (the document's webhooks section)"
    )

    @classmethod
    def from_row(cls, row: EventRow) -> Event:
        # model_validate checks the stored type against the enum.
        return cls.model_validate(
            {
                "id": row["id"],
                "livemode": row["livemode"],
                "type": row["type"],
                "object_id": row["object_id"],
                "created_at": row["created_at"],
                "payload": json.loads(row["body"]),
            }
        )


class EventList(Shape):
    data: list[Event]
    total: int
    limit: int
    offset: int
