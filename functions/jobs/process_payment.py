"""Job: take a pending payment through the simulated acquirer.

First run: hand the payment to the acquirer (``payment.pending``) and come back after its
processing delay. Second run: settle it (``payment.success`` or ``payment.failed``). Each step is
a compare-and-set, so a run repeated after a lost ack changes nothing and emits nothing.
"""

from __future__ import annotations

from shared import acquirer, db, events
from shared.config import settings
from shared.db import payments
from shared.models import PaymentStatus, payment_public
from shared.queue import FollowUp, Job, RetryPolicy

RETRY = RetryPolicy(max_attempts=8, first_delay_s=1, max_delay_s=300)


def run(job: Job) -> list[FollowUp]:
    with db.transaction() as tx:
        payment = payments.find(tx, job.ref_id)
        if payment is None or payment["status"] != PaymentStatus.PENDING:
            return []
        if payment["submitted_at"] is None:
            if not payments.mark_submitted(tx, payment["id"]):
                return []
            follow_ups = events.record(
                tx, payment["merchant_id"], "payment.pending", {"payment": payment_public(payment)}
            )
            return [FollowUp(job.type, job.ref_id, delay_s=acquirer.payment_delay_s(settings())), *follow_ups]
        outcome = acquirer.decide(payment["method"], payment["simulated_outcome"], settings())
        if not payments.settle(tx, payment["id"], outcome.status, outcome.error_code, outcome.error_description):
            return []
        settled = payments.find(tx, payment["id"]) or payment
        return events.record(
            tx, payment["merchant_id"], f"payment.{outcome.status}", {"payment": payment_public(settled)}
        )
