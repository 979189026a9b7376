"""The route table: every HTTP handler module, in the order the API reference lists them.

app.py registers each module's ``OPERATION`` with its ``handle``; ``shared.openapi`` documents them.
"""

from __future__ import annotations

from functions.api import (
    capture_payment,
    create_order,
    create_payment,
    create_refund,
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_checkout_order,
    get_event,
    get_job_status,
    get_openapi,
    get_order,
    get_payment,
    get_refund,
    get_webhook_delivery,
    get_webhook_endpoint,
    list_events,
    list_order_payments,
    list_orders,
    list_payments,
    list_refunds,
    list_webhook_deliveries,
    list_webhook_endpoints,
    recover_webhook_deliveries,
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
    create_order,
    list_orders,
    get_order,
    get_checkout_order,
    list_order_payments,
    create_webhook_endpoint,
    list_webhook_endpoints,
    get_webhook_endpoint,
    update_webhook_endpoint,
    delete_webhook_endpoint,
    rotate_webhook_secret,
    send_test_webhook,
    recover_webhook_deliveries,
    list_webhook_deliveries,
    get_webhook_delivery,
    retry_webhook_delivery,
    list_events,
    get_event,
    get_job_status,
    get_openapi,
)
