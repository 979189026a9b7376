"""POST /payments/{payment_id}/capture: capture a successful payment in full."""

from __future__ import annotations

from shared import db, events, queue
from shared.db import payments
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.models.events import EventType
from shared.models.payments import CapturePayment, Payment, PaymentStatus

OPERATION = Operation(
    "POST",
    "/payments/{payment_id}/capture",
    "Capture a successful payment in full",
    {200: Payment},
    body=CapturePayment,
    body_optional=True,
    refusals={400: "The payment is not `success`, is already captured, or `amount` differs from it"},
)


def handle(call: Call) -> Reply:
    body = CapturePayment.parse(call.json(empty_as={}))
    with db.transaction() as tx:
        payment = payments.get(tx, call.params["payment_id"], call.merchant_id, call.livemode)
        if body.amount is not None and body.amount != payment["amount_minor"]:
            raise InvalidRequest(
                f"amount must equal the payment amount ({payment['amount_minor']}); partial capture is not supported",
                field="amount",
            )
        # The guard is in the UPDATE itself, so two concurrent captures cannot both succeed.
        if not payments.capture(tx, payment["id"], call.merchant_id, call.livemode):
            if payment["status"] != PaymentStatus.SUCCESS:
                raise InvalidRequest(f"Only successful payments can be captured; this one is {payment['status']}")
            raise InvalidRequest("This payment has already been captured")
        captured = Payment.from_row(payments.get(tx, payment["id"], call.merchant_id, call.livemode))
        follow_ups = events.record(
            tx, call.merchant_id, EventType.PAYMENT_CAPTURED, {"payment": captured.public()}, livemode=call.livemode
        )
    queue.submit(follow_ups)
    return Reply(200, captured)
