"""One merchant's work in one mode, as the job status reports it to a key (``functions/api/get_job_status``).

The queue in Redis knows jobs, not whose they are; the rows in PostgreSQL know whose they are. So the
counts come from the rows (what is still to do, what is done), and the few jobs Redis holds running,
parked or dead are matched to the merchant's rows by id.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared import job_types
from shared.db import Cursor
from shared.models.payments import PaymentStatus
from shared.models.refunds import RefundStatus
from shared.models.webhook_deliveries import DeliveryStatus

_STATES = ("processing", "parked", "failed")
# The table each job type's ref_id names a row of.
_TABLES = {
    job_types.PROCESS_PAYMENT: "payments",
    job_types.PROCESS_REFUND: "refunds",
    job_types.DELIVER_WEBHOOK: "webhook_deliveries",
}

# Per table: rows still to be worked on (a payment or refund whose job died carries processing_error
# and is waiting for a person, not for the queue), and rows whose work is done.
_TOTALS = """
SELECT
  (SELECT count(*) FROM payments p WHERE p.merchant_id = %(m)s AND p.livemode = %(l)s
     AND p.status = %(payment_pending)s AND p.processing_error IS NULL)
  + (SELECT count(*) FROM refunds r WHERE r.merchant_id = %(m)s AND r.livemode = %(l)s
     AND r.status = %(refund_pending)s AND r.processing_error IS NULL)
  + (SELECT count(*) FROM webhook_deliveries d WHERE d.merchant_id = %(m)s AND d.livemode = %(l)s
     AND d.status = %(delivery_pending)s) AS unsettled,
  (SELECT count(*) FROM payments p WHERE p.merchant_id = %(m)s AND p.livemode = %(l)s
     AND p.status <> %(payment_pending)s)
  + (SELECT count(*) FROM refunds r WHERE r.merchant_id = %(m)s AND r.livemode = %(l)s
     AND r.status <> %(refund_pending)s)
  + (SELECT count(*) FROM webhook_deliveries d WHERE d.merchant_id = %(m)s AND d.livemode = %(l)s
     AND d.status <> %(delivery_pending)s) AS settled
"""

# Of the rows named, those of this merchant and mode. (Ids never repeat across tables: pay_, rfnd_, whd_.)
_MINE = """
SELECT id FROM payments WHERE id = ANY(%(payments)s) AND merchant_id = %(m)s AND livemode = %(l)s
UNION ALL
SELECT id FROM refunds WHERE id = ANY(%(refunds)s) AND merchant_id = %(m)s AND livemode = %(l)s
UNION ALL
SELECT id FROM webhook_deliveries WHERE id = ANY(%(webhook_deliveries)s) AND merchant_id = %(m)s AND livemode = %(l)s
"""


def counts(tx: Cursor, merchant_id: str, livemode: bool, held: Mapping[str, list[str]]) -> dict[str, int]:
    """``pending``, ``processing``, ``parked``, ``completed`` and ``failed`` for one merchant and mode.

    ``held``: job ids the queue holds as processing, parked and failed (``JobQueue.held_job_ids``).
    """
    scope = {"m": merchant_id, "l": livemode}
    refs: dict[str, list[str]] = {table: [] for table in _TABLES.values()}
    for job in {j for ids in held.values() for j in ids}:
        job_type, _, ref_id = job.partition(":")
        if job_type in _TABLES:
            refs[_TABLES[job_type]].append(ref_id)
    tx.execute(_MINE, {**scope, **refs})
    mine_refs = {row["id"] for row in tx.fetchall()}
    mine = {state: [j for j in held.get(state, ()) if j.partition(":")[2] in mine_refs] for state in _STATES}
    processing, parked, failed = (len(mine[state]) for state in _STATES)
    pending = {
        "payment_pending": PaymentStatus.PENDING,
        "refund_pending": RefundStatus.PENDING,
        "delivery_pending": DeliveryStatus.PENDING,
    }
    tx.execute(_TOTALS, {**scope, **pending})
    totals = tx.fetchone() or {"unsettled": 0, "settled": 0}
    # A delivery whose job died is marked failed, so it is among the settled rows: count it once, as failed.
    dead_deliveries = sum(1 for j in mine["failed"] if j.startswith(job_types.DELIVER_WEBHOOK + ":"))
    return {
        "pending": max(0, int(totals["unsettled"]) - processing - parked),
        "processing": processing,
        "parked": parked,
        "completed": max(0, int(totals["settled"]) - dead_deliveries),
        "failed": failed,
    }
