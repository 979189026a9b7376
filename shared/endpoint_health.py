"""Endpoint health: a run of failed attempts long enough (``WEBHOOK_ENDPOINT_DISABLE_AFTER_S``), or
one ``410 Gone``, disables an endpoint, fails its pending deliveries and tells the merchant's other
endpoints with a ``webhook_endpoint.disabled`` event. A successful attempt ends the run.
"""

from __future__ import annotations

import datetime as dt
import logging
from http import HTTPStatus

from shared import db, events, webhooks
from shared.config import settings
from shared.db import webhook_deliveries, webhook_endpoints
from shared.db.rows import SendingRow
from shared.models.base import iso
from shared.models.events import DisabledEndpoint, EventType
from shared.queue import FollowUp

log = logging.getLogger(__name__)


def track(delivery: SendingRow, result: webhooks.AttemptResult) -> list[FollowUp] | None:
    """Count the attempt towards the endpoint's health; if that disabled the endpoint, the jobs that
    tell the merchant's other endpoints (None if it is still enabled)."""
    if result.ok:
        # Most endpoints have no run of failures to end: then a success costs no write (a failure
        # recorded since the delivery was read is ended by the endpoint's next success).
        if delivery["endpoint_failing"]:
            with db.autocommit() as tx:
                webhook_endpoints.record_success(tx, delivery["endpoint_id"])
        return None
    disable_after_s = settings().webhook_endpoint_disable_after_s
    with db.transaction() as tx:
        # record_failure locks the endpoint's row until commit: concurrent attempts decide in turn,
        # and disable_for_health lets only the first of them disable it and send the event.
        endpoint = webhook_endpoints.record_failure(tx, delivery["endpoint_id"])
        if endpoint is None or not endpoint["enabled"] or endpoint["failing_since"] is None:
            return None
        failing_for_s = (dt.datetime.now(dt.UTC) - endpoint["failing_since"]).total_seconds()
        if result.response_code == HTTPStatus.GONE:
            reason = "The endpoint answered 410 Gone, which asks us to stop sending"
        elif failing_for_s >= disable_after_s:
            reason = (
                f"No attempt succeeded for {_period(disable_after_s)}: "
                f"{endpoint['consecutive_failures']} failed attempts in a row since {iso(endpoint['failing_since'])}"
            )
        else:
            return None
        disabled = webhook_endpoints.disable_for_health(tx, endpoint["id"], reason)
        if disabled is None:
            return None
        webhook_deliveries.fail_pending_of_endpoint(tx, disabled["id"], "endpoint disabled")
        notice = DisabledEndpoint(
            id=disabled["id"],
            url=disabled["url"],
            description=disabled["description"],
            disabled_reason=reason,
            disabled_at=disabled["disabled_at"] or dt.datetime.now(dt.UTC),
            failing_since=disabled["failing_since"],
            consecutive_failures=disabled["consecutive_failures"],
        )
        # The disabled endpoint is no longer enabled in this transaction, so only the others get it.
        follow_ups = events.record(
            tx,
            disabled["merchant_id"],
            EventType.WEBHOOK_ENDPOINT_DISABLED,
            {"webhook_endpoint": notice.public()},
            livemode=disabled["livemode"],
        )
    log.warning("webhook_endpoint.disabled", extra={"endpoint_id": disabled["id"], "reason": reason})
    return follow_ups


def _period(seconds: float) -> str:
    """``seconds`` in the largest whole unit that fits: "5 days", "3 hours", "1 second"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = round(seconds)
    return f"{count} second{'s' if count != 1 else ''}"
