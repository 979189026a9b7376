"""GET /payments: newest first, ``limit``/``offset``, optional ``status``, ``order_id``, ``method``."""

from __future__ import annotations

from shared import db
from shared.db import payments
from shared.errors import InvalidRequest
from shared.http import Call, Reply
from shared.models import PaymentStatus, payment_public


def handle(call: Call) -> Reply:
    limit, offset = call.page()
    filters = {k: call.query[k] for k in ("status", "order_id", "method") if call.query.get(k)}
    if "status" in filters and filters["status"] not in set(PaymentStatus):
        raise InvalidRequest("status must be pending, success or failed", field="status")
    with db.autocommit() as tx:
        rows, total = payments.list_page(tx, call.merchant_id, call.livemode, limit, offset, filters)
    return Reply(200, {"data": [payment_public(r) for r in rows], "total": total, "limit": limit, "offset": offset})
