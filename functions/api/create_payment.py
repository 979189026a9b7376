"""POST /payments: accept a payment and queue it for the acquirer."""

from __future__ import annotations

from shared import acquirer, cards, events, idempotency
from shared.db import Cursor, payments
from shared.http import Call, Reply
from shared.job_types import PROCESS_PAYMENT
from shared.models import CreatePayment, payment_public
from shared.queue import FollowUp


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
        public = payment_public(payment)
        follow_ups = events.record(tx, call.merchant_id, "payment.created", {"payment": public}, livemode=call.livemode)
        return Reply(201, public), [FollowUp(PROCESS_PAYMENT, payment["id"]), *follow_ups]

    return idempotency.once(call, raw, work)
