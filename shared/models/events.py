"""Events: their types, and the payload each one's webhook carries (the body that is signed)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.models.base import Shape
from shared.models.payments import Payment
from shared.models.refunds import Refund


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


class TestEvent(_Envelope):
    event: Literal["webhook.test"]
    data: TestData


# The body of each delivery, by event type (the OpenAPI document's ``webhooks`` section).
PAYLOADS: dict[str, type[Shape]] = {
    **{t: PaymentEvent for t in EventType if t.startswith("payment.")},
    **{t: RefundEvent for t in EventType if t.startswith("refund.")},
    TEST_EVENT: TestEvent,
}
