"""Job type names and their lanes. Each name is also its module in ``functions/jobs`` (app.py checks).

A lane is a share of every poller's threads (``MONEY_CONCURRENCY``, ``WEBHOOK_CONCURRENCY``) with
its own Redis queue, so a backlog of webhook deliveries never delays a payment, and the other way round.
"""

PROCESS_PAYMENT = "process_payment"
PROCESS_REFUND = "process_refund"
DELIVER_WEBHOOK = "deliver_webhook"

MONEY = "money"
WEBHOOKS = "webhooks"
LANES = (MONEY, WEBHOOKS)
LANE_OF = {PROCESS_PAYMENT: MONEY, PROCESS_REFUND: MONEY, DELIVER_WEBHOOK: WEBHOOKS}


def lane_of(job_type: str) -> str:
    # An unknown type still needs a lane to be claimed and given up (see invoker._UnknownJob).
    return LANE_OF.get(job_type, MONEY)
