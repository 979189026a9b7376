"""GET /events: the merchant's events in the key's mode, newest first, filterable by type, object
and creation time; each with the payload exactly as it was signed and sent."""

from __future__ import annotations

import datetime as dt

from shared import db
from shared.db import events
from shared.errors import InvalidRequest
from shared.http import PAGE, Call, Operation, Query, Reply
from shared.models.events import DELIVERED_EVENTS, Event, EventList

# 9999-12-31T23:59:59Z: the latest second both Python and PostgreSQL can hold.
_MAX_UNIX_S = 253_402_300_799

OPERATION = Operation(
    "GET",
    "/events",
    "List events, newest first (kept for EVENT_RETENTION_DAYS days)",
    {200: EventList},
    query=(
        *PAGE,
        Query("type", "Only events of this type", {"enum": list(DELIVERED_EVENTS)}),
        Query("object_id", "Only events about this payment, refund or webhook endpoint"),
        Query(
            "created_gte",
            "Only events created at or after this time, in Unix seconds",
            {"type": "integer", "minimum": 0, "maximum": _MAX_UNIX_S},
        ),
        Query(
            "created_lte",
            "Only events created at or before this time, in Unix seconds",
            {"type": "integer", "minimum": 0, "maximum": _MAX_UNIX_S},
        ),
    ),
)


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = call.filters(OPERATION.query)
    created = (_unix_time(filters, "created_gte"), _unix_time(filters, "created_lte"))
    with db.autocommit() as tx:
        rows, total = events.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters, created)
    data = [Event.from_row(r) for r in rows]
    return Reply(200, EventList(data=data, total=total, limit=limit, offset=offset))


def _unix_time(filters: dict[str, str], name: str) -> dt.datetime | None:
    """The parameter as a UTC time; a created_lte covers the whole second it names.

    Raises:
        InvalidRequest: not a whole number of seconds in range, naming the parameter.
    """
    raw = filters.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > _MAX_UNIX_S:
        raise InvalidRequest(f"{name} must be a time in Unix seconds, from 0 to {_MAX_UNIX_S}", field=name)
    at = dt.datetime.fromtimestamp(int(raw), dt.UTC)
    # created_at has microseconds: "at or before second N" must include N.999999.
    return at + dt.timedelta(microseconds=999_999) if name == "created_lte" else at
