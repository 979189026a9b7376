"""POST /webhook-endpoints/{endpoint_id}/recover: send an endpoint's failed deliveries since a time again.

Each goes back to pending as a manual retry (as ``POST /webhooks/{id}/retry`` does), so one attempt
is made now and, if the schedule had attempts left, it carries on from there.
"""

from __future__ import annotations

import datetime as dt

from shared import db, queue
from shared.db import webhook_deliveries, webhook_endpoints
from shared.errors import InvalidRequest
from shared.http import Call, Operation, Reply
from shared.job_types import DELIVER_WEBHOOK
from shared.models.webhook_endpoints import (
    RECOVER_MAX_AGE_DAYS,
    RECOVER_MAX_DELIVERIES,
    RecoverWebhookDeliveries,
    WebhookRecovery,
)
from shared.queue import FollowUp

OPERATION = Operation(
    "POST",
    "/webhook-endpoints/{endpoint_id}/recover",
    "Send this endpoint's failed deliveries since a time again",
    {202: WebhookRecovery},
    body=RecoverWebhookDeliveries,
    refusals={
        400: f"since is missing, in the future or more than {RECOVER_MAX_AGE_DAYS} days ago; "
        "or the endpoint is disabled (enable it first)"
    },
    description=f"Queues at most {RECOVER_MAX_DELIVERIES} deliveries, oldest first; `has_more` says if more are left.",
)


def handle(call: Call) -> Reply:
    since = RecoverWebhookDeliveries.parse(call.json()).since.astimezone(dt.UTC)
    now = dt.datetime.now(dt.UTC)
    if since > now:
        raise InvalidRequest("since must not be in the future", field="since")
    if since < now - dt.timedelta(days=RECOVER_MAX_AGE_DAYS):
        raise InvalidRequest(f"since must be within the last {RECOVER_MAX_AGE_DAYS} days", field="since")
    with db.transaction() as tx:
        endpoint = webhook_endpoints.get(tx, call.params["endpoint_id"], call.merchant_id, call.livemode)
        if not endpoint["enabled"]:
            raise InvalidRequest("This endpoint is disabled; enable it before recovering its deliveries")
        requeued, has_more = webhook_deliveries.recover(tx, endpoint["id"], since, RECOVER_MAX_DELIVERIES)
    # Queued after commit, with the endpoint's slots, so a large recovery waits its turn behind the
    # endpoint's concurrency limit instead of flooding it.
    slots = f"{endpoint['id']}:{call.merchant_id}"
    queue.submit([FollowUp(DELIVER_WEBHOOK, delivery_id, slots=slots) for delivery_id in requeued])
    recovery = WebhookRecovery(endpoint_id=endpoint["id"], since=since, requeued=len(requeued), has_more=has_more)
    return Reply(202, recovery)
