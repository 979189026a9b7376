"""Events: stored once, fanned out as one webhook delivery per subscribed endpoint of the same mode."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from shared import ids
from shared.db import Cursor, webhook_deliveries
from shared.db import events as events_table
from shared.job_types import DELIVER_WEBHOOK
from shared.models.base import dumps
from shared.queue import FollowUp


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event not stored yet: ``body`` is exactly what receivers will get."""

    id: str
    type: str
    body: str
    object_id: str | None


def new(event_type: str, data: dict[str, Any], *, livemode: bool) -> NewEvent:
    """The event about ``data``; ``livemode`` is the mode of the object it is about."""
    event_id = ids.new("evt")
    body = dumps(
        {"id": event_id, "event": event_type, "livemode": livemode, "timestamp": int(time.time()), "data": data}
    )
    return NewEvent(event_id, event_type, body, object_id(data))


def record(
    tx: Cursor,
    merchant_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    livemode: bool,
    endpoint_id: str | None = None,
) -> list[FollowUp]:
    """Store the event and its deliveries in the caller's transaction; return the jobs to queue
    once it commits. Only endpoints of the event's mode get it. ``endpoint_id`` sends it to that
    endpoint only, whatever it subscribes to."""
    event = new(event_type, data, livemode=livemode)
    subscribed = events_table.insert(tx, event.id, merchant_id, livemode, event_type, event.body, event.object_id)
    return fan_out(tx, merchant_id, event, [endpoint_id] if endpoint_id is not None else subscribed)


def fan_out(tx: Cursor, merchant_id: str, event: NewEvent, endpoint_ids: list[str]) -> list[FollowUp]:
    """One delivery of the stored event per endpoint, in the caller's transaction; return the jobs
    to queue once it commits."""
    delivery_ids = webhook_deliveries.insert_many(tx, merchant_id, event.id, event.type, endpoint_ids)
    return [
        FollowUp(DELIVER_WEBHOOK, delivery_id, slots=f"{endpoint}:{merchant_id}")
        for delivery_id, endpoint in zip(delivery_ids, endpoint_ids, strict=True)
    ]


def object_id(data: dict[str, Any]) -> str | None:
    """The id of what an event is about, for ``GET /events?object_id=``: the first object in its
    ``data`` with an id (``data.payment``, ``data.refund``, ...), else ``data.endpoint_id`` (a test
    event). Migration 0017 backfilled older events by the same rule."""
    for value in data.values():
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return str(value["id"])
    endpoint = data.get("endpoint_id")
    return endpoint if isinstance(endpoint, str) else None
