"""Retention: events older than ``EVENT_RETENTION_DAYS`` go, with their settled deliveries and
those deliveries' attempts, and older attempts' response bodies are forgotten.

A run is bounded: at most ``batches`` transactions of ``BATCH`` events (and ``BATCH`` response
bodies) each, oldest first, so a backlog is worked off over several runs and no transaction holds
locks for long. An event with a delivery still pending stays whole until the delivery settles:
a retry in flight must still find its event.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import redis

from shared import db, keys
from shared.config import Settings
from shared.db import events, webhook_deliveries
from shared.models.webhook_deliveries import DeliveryStatus

logger = logging.getLogger(__name__)
BATCH = 500
# How often the poller purges (each poller tries; a Redis lock lets one through per interval).
INTERVAL_S = 60.0
BATCHES_PER_RUN = 10


@dataclass(frozen=True, slots=True)
class Purged:
    events: int = 0
    deliveries: int = 0
    attempts: int = 0
    response_bodies: int = 0

    def __add__(self, other: Purged) -> Purged:
        return Purged(
            self.events + other.events,
            self.deliveries + other.deliveries,
            self.attempts + other.attempts,
            self.response_bodies + other.response_bodies,
        )


def purge(settings: Settings, batches: int = BATCHES_PER_RUN, batch: int = BATCH) -> Purged:
    """Delete what is past the retention window, at most ``batches`` batches; a no-op when the
    window is 0 (keep for ever)."""
    days = settings.event_retention_days
    total = Purged()
    if days <= 0:
        return total
    for _ in range(batches):
        done = _purge_batch(days, batch)
        total += done
        if done.events < batch and done.response_bodies < batch:
            break  # nothing more is due
    if total != Purged():
        logger.info("retention.purged", extra={"retention_days": days, **dataclasses.asdict(total)})
    return total


def run(client: redis.Redis, settings: Settings, owner: str) -> Purged | None:
    """``purge``, by one poller per ``INTERVAL_S`` (a Redis lock that simply expires); None when
    another poller holds the lock."""
    if not client.set(keys.PURGE_LOCK, owner, nx=True, px=int(INTERVAL_S * 1000 * 0.9)):
        return None
    return purge(settings)


def _purge_batch(days: int, batch: int) -> Purged:
    with db.transaction() as tx:
        candidates = events.purgeable_ids(tx, days, batch)
        deliveries = webhook_deliveries.lock_for_events(tx, candidates) if candidates else []
        # Read under the deliveries' locks: a manual retry may have made one pending since the
        # candidates were chosen. That event stays (with all its deliveries) until it settles.
        kept = {event_id for _, event_id, status in deliveries if status == DeliveryStatus.PENDING}
        doomed = [e for e in candidates if e not in kept]
        doomed_deliveries = [d for d, event_id, _ in deliveries if event_id not in kept]
        gone = events.delete(tx, doomed, doomed_deliveries) if doomed else (0, 0, 0)
        cleared = webhook_deliveries.clear_old_response_bodies(tx, days, batch)
    return Purged(*gone, response_bodies=cleared)
