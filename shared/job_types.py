"""Job type names. Each is also the name of its module in ``functions/jobs`` (app.py checks)."""

PROCESS_PAYMENT = "process_payment"
PROCESS_REFUND = "process_refund"
DELIVER_WEBHOOK = "deliver_webhook"
