"""The route table: every HTTP handler module, in the order the API reference lists them.

app.py registers each module's ``OPERATION`` with its ``handle``; ``shared.openapi`` documents them.
"""

from __future__ import annotations

from functions.api import (
    capture_payment,
    create_payment,
    create_refund,
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_job_status,
    get_openapi,
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
from shared.openapi import Endpoint

ENDPOINTS: tuple[Endpoint, ...] = (
    create_payment,
    list_payments,
    get_payment,
    capture_payment,
    create_refund,
    list_refunds,
    get_refund,
    create_webhook_endpoint,
    list_webhook_endpoints,
    get_webhook_endpoint,
    update_webhook_endpoint,
    delete_webhook_endpoint,
    rotate_webhook_secret,
    send_test_webhook,
    list_webhook_deliveries,
    get_webhook_delivery,
    retry_webhook_delivery,
    get_job_status,
    get_openapi,
)
