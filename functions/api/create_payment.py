"""POST /payments: accept a payment and queue it for the acquirer."""

from __future__ import annotations

from shared import acquirer, cards, events, idempotency
from shared.db import Cursor, payments
from shared.http import Call, Operation, Reply
from shared.job_types import PROCESS_PAYMENT
from shared.models.events import EventType
from shared.models.payments import CreatePayment, Payment
from shared.queue import FollowUp

OPERATION = Operation(
    "POST",
    "/payments",
    "Create a payment",
    {201: Payment},
    access="publishable",
    body=CreatePayment,
    idempotent=True,
    description="Accepted at once as `pending`; a job settles it and sends `payment.success` or `payment.failed`.",
)


def handle(call: Call) -> Reply:
    raw = call.json()
    body = CreatePayment.parse(raw)

    def work(tx: Cursor) -> tuple[Reply, list[FollowUp]]:
        digits = body.card.digits if body.card else None
        network = cards.network(digits) if digits else None
        # The card number goes no further than this line: only network and last4 are stored.
        outcome = acquirer.test_outcome(digits, body.vpa)
        # The payment takes the key's mode, so the job can decline a test instrument in live mode.
        payment = payments.insert(tx, call.merchant_id, call.livemode, body, network, outcome)
        public = Payment.from_row(payment)
        follow_ups = events.record(
            tx, call.merchant_id, EventType.PAYMENT_CREATED, {"payment": public.public()}, livemode=call.livemode
        )
        return Reply(201, public), [FollowUp(PROCESS_PAYMENT, payment["id"]), *follow_ups]

    return idempotency.once(call, raw, work)
