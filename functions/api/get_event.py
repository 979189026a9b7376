"""GET /events/{event_id}: one event, with the payload exactly as it was signed and sent."""

from __future__ import annotations

from shared import db
from shared.db import events
from shared.http import Call, Operation, Reply
from shared.models.events import Event

OPERATION = Operation(
    "GET", "/events/{event_id}", "Read an event, with the payload that was signed and sent", {200: Event}
)


def handle(call: Call) -> Reply:
    with db.autocommit() as tx:
        event = events.get(tx, call.params["event_id"], call.merchant_id, call.livemode)
    return Reply(200, Event.from_row(event))
