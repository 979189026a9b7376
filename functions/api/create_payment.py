"""POST /payments: accept a payment and queue it for the acquirer."""

from __future__ import annotations

from shared import acquirer, cards, events, idempotency
from shared.db import Cursor, orders, payments
from shared.db.rows import OrderRow
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.job_types import PROCESS_PAYMENT
from shared.models.events import EventType
from shared.models.orders import OrderStatus
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
    refusals={
        400: "order_id names an order whose amount or currency differs, that is paid, or that has a payment pending"
    },
    description=(
        "Accepted at once as `pending`; a job settles it and sends `payment.success` or `payment.failed`. "
        "An `order_id` that names an order (its id or receipt) must match its amount and currency."
    ),
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
        payment = payments.new(call.merchant_id, call.livemode, body, network, outcome)
        # Serialised once: the answer and the event carry the same payment.
        public = Payment.from_row(payment).public()
        event = events.new(EventType.PAYMENT_CREATED, {"payment": public}, livemode=call.livemode)
        subscribed = payments.insert(tx, payment, event)
        if subscribed is None:
            # An order answers to order_id: the payment is checked against it, under its lock.
            order = _order_for(tx, call, body)
            subscribed = payments.insert(tx, payment, event, order_ref=order["id"])
            if subscribed is None:
                raise RuntimeError("insert_payment_with_event stored nothing for an order's payment")
            orders.mark_attempted(tx, order["id"])
        follow_ups = events.fan_out(tx, call.merchant_id, event, subscribed)
        return Reply(201, public), [FollowUp(PROCESS_PAYMENT, payment["id"]), *follow_ups]

    return idempotency.once(call, raw, work)


def _order_for(tx: Cursor, call: Call, body: CreatePayment) -> OrderRow:
    """The order ``order_id`` names (locked until commit), checked against the payment. One payment
    of an order at a time, so it can only ever be charged once.

    Raises:
        InvalidRequest: the amount or currency differs, the order is paid, or one of its payments is pending.
        NotFound: no order answers to order_id (orders are never deleted: the caller saw one).
    """
    order = orders.get(tx, body.order_id, call.merchant_id, call.livemode, lock=True)
    if body.amount != order["amount_minor"]:
        raise InvalidRequest(f"amount must equal the order's amount ({order['amount_minor']})", field="amount")
    if body.currency != order["currency"].strip():
        raise InvalidRequest(f"currency must be the order's currency ({order['currency'].strip()})", field="currency")
    if order["status"] == OrderStatus.PAID:
        raise InvalidRequest(f"Order {order['id']} is already paid", field="order_id")
    if pending := orders.pending_payment(tx, order["id"]):
        raise InvalidRequest(
            f"A payment for order {order['id']} is already being processed ({pending}); wait for its outcome",
            field="order_id",
        )
    return order
