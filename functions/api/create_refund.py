"""POST /payments/{payment_id}/refunds: refund part or all of a successful payment."""

from __future__ import annotations

from shared import acquirer, events, idempotency
from shared.config import settings
from shared.db import Cursor, payments, refunds
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.job_types import PROCESS_REFUND
from shared.models.events import EventType
from shared.models.payments import PaymentStatus
from shared.models.refunds import CreateRefund, Refund
from shared.queue import FollowUp

OPERATION = Operation(
    "POST",
    "/payments/{payment_id}/refunds",
    "Refund part or all of a successful payment",
    {201: Refund},
    body=CreateRefund,
    idempotent=True,
    refusals={400: "The payment is not `success`, or `amount` exceeds what is left to refund"},
    description="Accepted at once as `pending`; a job processes it and sends `refund.processed` or `refund.failed`.",
)


def handle(call: Call) -> Reply:
    raw = call.json()
    body = CreateRefund.parse(raw)

    def work(tx: Cursor) -> tuple[Reply, list[FollowUp]]:
        # The row lock serialises refunds of one payment, so two requests cannot both see room.
        payment = payments.lock(tx, call.params["payment_id"], call.merchant_id, call.livemode)
        if payment["status"] != PaymentStatus.SUCCESS:
            raise InvalidRequest(f"Only successful payments can be refunded; this one is {payment['status']}")
        refundable = payment["amount_minor"] - refunds.committed_total(tx, payment["id"])
        if body.amount > refundable:
            raise InvalidRequest(
                f"amount exceeds what is left to refund on this payment ({refundable})", field="amount"
            )
        refund = refunds.insert(tx, payment, body.amount, body.reason)
        public = Refund.from_row(refund)
        follow_ups = events.record(
            tx, call.merchant_id, EventType.REFUND_CREATED, {"refund": public.public()}, livemode=call.livemode
        )
        process = FollowUp(PROCESS_REFUND, refund["id"], delay_s=acquirer.refund_delay_s(settings()))
        return Reply(201, public), [process, *follow_ups]

    return idempotency.once(call, raw, work)
