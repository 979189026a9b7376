"""Job: take a pending payment through the simulated acquirer.

First run: hand the payment to the acquirer (``payment.pending``) and come back after its
processing delay. Second run: settle it (``payment.success`` or ``payment.failed``). Each step is
a compare-and-set, so a run repeated after a lost ack changes nothing and emits nothing.
"""

from __future__ import annotations

from shared import acquirer, db, events
from shared.config import settings
from shared.db import Cursor, orders, payments
from shared.db.rows import PaymentRow
from shared.models.events import EventType
from shared.models.orders import Order
from shared.models.payments import Payment, PaymentStatus
from shared.queue import CrashRetry, FollowUp, Job

CRASH_RETRY = CrashRetry(max_attempts=8, first_delay_s=1, max_delay_s=300)


def run(job: Job) -> list[FollowUp]:
    with db.transaction() as tx:
        payment = payments.find(tx, job.ref_id)
        if payment is None or payment["status"] != PaymentStatus.PENDING:
            return []
        if payment["submitted_at"] is not None:
            return _settle(tx, payment)
        if not payments.mark_submitted(tx, payment["id"]):
            return []
        pending = events.record(
            tx,
            payment["merchant_id"],
            EventType.PAYMENT_PENDING,
            {"payment": Payment.from_row(payment).public()},
            livemode=payment["livemode"],
        )
        delay_s = acquirer.payment_delay_s(settings())
        if delay_s > 0:
            return [FollowUp(job.type, job.ref_id, delay_s=delay_s), *pending]
        # No acquirer delay (test mode): settle now, in the same transaction, saving a queue round trip.
        return pending + _settle(tx, payment)


_SETTLED_EVENTS = {PaymentStatus.SUCCESS: EventType.PAYMENT_SUCCESS, PaymentStatus.FAILED: EventType.PAYMENT_FAILED}


def _settle(tx: Cursor, payment: PaymentRow) -> list[FollowUp]:
    outcome = acquirer.decide(payment["method"], payment["simulated_outcome"], payment["livemode"], settings())
    settled = payments.settle(tx, payment["id"], outcome.status, outcome.error_code, outcome.error_description)
    if settled is None:
        return []
    public = Payment.from_row(settled).public()
    follow_ups = events.record(
        tx,
        payment["merchant_id"],
        _SETTLED_EVENTS[outcome.status],
        {"payment": public},
        livemode=settled["livemode"],
    )
    if outcome.status == PaymentStatus.SUCCESS and settled["order_ref"]:
        # Only one payment of an order is ever pending (create_payment), so this runs once per order.
        order = orders.mark_paid(tx, settled["order_ref"])
        if order is not None:
            data = {"order": Order.from_row(order).public(), "payment": public}
            follow_ups += events.record(
                tx, order["merchant_id"], EventType.ORDER_PAID, data, livemode=order["livemode"]
            )
    return follow_ups


def give_up(job: Job, reason: str) -> None:
    with db.transaction() as tx:
        payments.set_processing_error(tx, job.ref_id, reason)
