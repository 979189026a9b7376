"""Wiring only: the HTTP routes, one Lambda per job type, and the scheduled poller."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate

from functions import poller
from functions.api.routes import ENDPOINTS
from functions.jobs import deliver_webhook, process_payment, process_refund
from shared import http, invoker, log, queue
from shared.config import settings
from shared.job_types import DELIVER_WEBHOOK, PROCESS_PAYMENT, PROCESS_REFUND
from shared.queue import JobHandler

# Bad configuration fails here, at cold start, not on the first request.
log.configure(settings().log_level)
app = Chalice(app_name="payment-gateway")
app.log.propagate = True

for endpoint in ENDPOINTS:
    http.route(app, endpoint.OPERATION, endpoint.handle)


# Job type -> handler module (each module is named after its job type).
JOBS: dict[str, JobHandler] = {
    PROCESS_PAYMENT: process_payment,
    PROCESS_REFUND: process_refund,
    DELIVER_WEBHOOK: deliver_webhook,
}


# One Lambda per job type. Module-level functions, so each deployed handler is "app.<name>".
@app.lambda_function(name=PROCESS_PAYMENT)
def process_payment_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoker.run_event(JOBS[PROCESS_PAYMENT], PROCESS_PAYMENT, event)


@app.lambda_function(name=PROCESS_REFUND)
def process_refund_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoker.run_event(JOBS[PROCESS_REFUND], PROCESS_REFUND, event)


@app.lambda_function(name=DELIVER_WEBHOOK)
def deliver_webhook_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoker.run_event(JOBS[DELIVER_WEBHOOK], DELIVER_WEBHOOK, event)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="poll_jobs")
def poll_jobs(event: Any) -> None:
    # Drain until the job in flight could no longer finish before the Lambda time limit.
    margin_ms = int((settings().webhook_timeout_s + 5) * 1000)
    q = queue.default_queue()
    poller.run(
        JOBS,
        q,
        settings(),
        should_stop=lambda: event.context.get_remaining_time_in_millis() < margin_ms,
        invoke=invoker.for_settings(settings(), JOBS, q),
    )
