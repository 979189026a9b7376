"""Wiring only: the HTTP routes, one Lambda per job type, and the scheduled poller."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate

from functions import poller
from functions.api import (
    capture_payment,
    create_payment,
    create_refund,
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_job_status,
    get_payment,
    get_refund,
    get_webhook_delivery,
    get_webhook_endpoint,
    list_payments,
    list_refunds,
    list_webhook_deliveries,
    list_webhook_endpoints,
    retry_webhook_delivery,
    rotate_webhook_secret,
    send_test_webhook,
    update_webhook_endpoint,
)
from functions.jobs import deliver_webhook, process_payment, process_refund
from shared import http, invoker, log, queue
from shared.config import settings
from shared.job_types import DELIVER_WEBHOOK, PROCESS_PAYMENT, PROCESS_REFUND
from shared.queue import JobHandler

# Bad configuration fails here, at cold start, not on the first request.
log.configure(settings().log_level)
app = Chalice(app_name="payment-gateway")
app.log.propagate = True
API = "/api/v1"

http.route(app, f"{API}/payments", "POST", create_payment.handle, access="publishable")
http.route(app, f"{API}/payments", "GET", list_payments.handle)
http.route(app, f"{API}/payments/{{payment_id}}", "GET", get_payment.handle, access="publishable")
http.route(app, f"{API}/payments/{{payment_id}}/capture", "POST", capture_payment.handle)
http.route(app, f"{API}/payments/{{payment_id}}/refunds", "POST", create_refund.handle)
http.route(app, f"{API}/payments/{{payment_id}}/refunds", "GET", list_refunds.handle)
http.route(app, f"{API}/refunds/{{refund_id}}", "GET", get_refund.handle)
http.route(app, f"{API}/webhook-endpoints", "POST", create_webhook_endpoint.handle)
http.route(app, f"{API}/webhook-endpoints", "GET", list_webhook_endpoints.handle)
http.route(app, f"{API}/webhook-endpoints/{{endpoint_id}}", "GET", get_webhook_endpoint.handle)
http.route(app, f"{API}/webhook-endpoints/{{endpoint_id}}", "PATCH", update_webhook_endpoint.handle)
http.route(app, f"{API}/webhook-endpoints/{{endpoint_id}}", "DELETE", delete_webhook_endpoint.handle)
http.route(app, f"{API}/webhook-endpoints/{{endpoint_id}}/rotate-secret", "POST", rotate_webhook_secret.handle)
http.route(app, f"{API}/webhook-endpoints/{{endpoint_id}}/test", "POST", send_test_webhook.handle)
http.route(app, f"{API}/webhooks", "GET", list_webhook_deliveries.handle)
http.route(app, f"{API}/webhooks/{{delivery_id}}", "GET", get_webhook_delivery.handle)
http.route(app, f"{API}/webhooks/{{delivery_id}}/retry", "POST", retry_webhook_delivery.handle)
http.route(app, f"{API}/test/jobs/status", "GET", get_job_status.handle, access="optional")


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
