"""Retention: events past EVENT_RETENTION_DAYS go with their settled deliveries and attempts, in
bounded batches; pending deliveries keep their event; old response bodies are cleared."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra import cli
from shared import db, events, retention
from shared.config import settings
from tests.conftest import Api, Poller, Receiver, count, create_endpoint, payment_body, scalar, wait_until


def _payments_with_deliveries(api: Api, receiver: Receiver, n: int) -> list[str]:
    """``n`` payments whose payment.created event has one delivery, settled, with one attempt."""
    create_endpoint(api, receiver.url, ["payment.created"])
    ids = [api.post("/payments", json=payment_body(order_id=f"o{i}")).json()["id"] for i in range(n)]
    with db.transaction() as tx:
        # No poller runs: settle the deliveries by hand, as an attempt would.
        tx.execute("UPDATE webhook_deliveries SET status = 'success', attempts = 1, next_retry_at = NULL")
        tx.execute(
            "INSERT INTO webhook_attempts (delivery_id, number, trigger, attempted_at, response_code, duration_ms, "
            "response_body) SELECT id, 1, 'scheduled', now(), 200, 5, 'ok' FROM webhook_deliveries"
        )
    return ids


def _age(days: int, object_ids: list[str]) -> None:
    with db.transaction() as tx:
        tx.execute(
            "UPDATE events SET created_at = now() - make_interval(days => %s) WHERE object_id = ANY(%s)",
            (days, object_ids),
        )
        tx.execute(
            "UPDATE webhook_attempts a SET attempted_at = now() - make_interval(days => %s) FROM webhook_deliveries d "
            "JOIN events e ON e.id = d.event_id WHERE a.delivery_id = d.id AND e.object_id = ANY(%s)",
            (days, object_ids),
        )


def _tables() -> tuple[int, int, int]:
    return (
        count("SELECT count(*) FROM events"),
        count("SELECT count(*) FROM webhook_deliveries"),
        count("SELECT count(*) FROM webhook_attempts"),
    )


def test_events_past_the_window_go_with_their_deliveries_and_attempts(api: Api, receiver: Receiver) -> None:
    old, recent = _payments_with_deliveries(api, receiver, 2)
    _age(31, [old])
    assert _tables() == (2, 2, 2)

    purged = retention.purge(settings())

    assert purged == retention.Purged(events=1, deliveries=1, attempts=1, response_bodies=0)
    assert _tables() == (1, 1, 1)
    assert scalar("SELECT object_id FROM events") == recent
    assert api.get("/events", params={"object_id": old}).json()["total"] == 0
    assert retention.purge(settings()) == retention.Purged()


def test_an_event_inside_the_window_is_kept(api: Api, receiver: Receiver) -> None:
    [payment] = _payments_with_deliveries(api, receiver, 1)
    _age(29, [payment])

    assert retention.purge(settings()) == retention.Purged()
    assert _tables() == (1, 1, 1)


def test_a_pending_delivery_keeps_its_event_but_old_response_bodies_are_cleared(api: Api, receiver: Receiver) -> None:
    [payment] = _payments_with_deliveries(api, receiver, 1)
    _age(40, [payment])
    with db.transaction() as tx:
        tx.execute("UPDATE webhook_deliveries SET status = 'pending', next_retry_at = now() + interval '1 hour'")

    purged = retention.purge(settings())

    assert purged == retention.Purged(response_bodies=1)
    assert _tables() == (1, 1, 1)
    assert scalar("SELECT response_body IS NULL AS cleared FROM webhook_attempts") is True
    assert scalar("SELECT status FROM webhook_deliveries") == "pending"


def test_a_run_is_bounded_by_its_batches(api: Api, receiver: Receiver) -> None:
    payments = _payments_with_deliveries(api, receiver, 5)
    _age(31, payments)

    assert retention.purge(settings(), batches=2, batch=2).events == 4
    assert count("SELECT count(*) FROM events") == 1
    assert retention.purge(settings(), batches=2, batch=2).events == 1
    assert _tables() == (0, 0, 0)


def test_a_window_of_zero_keeps_everything(api: Api, receiver: Receiver) -> None:
    payments = _payments_with_deliveries(api, receiver, 1)
    _age(3650, payments)

    assert retention.purge(dataclasses.replace(settings(), event_retention_days=0)) == retention.Purged()
    assert _tables() == (1, 1, 1)


def test_the_poller_purges_on_its_own(api: Api, receiver: Receiver, pollers: Poller) -> None:
    old, recent = _payments_with_deliveries(api, receiver, 2)
    _age(31, [old])

    pollers.start()

    # The poller also processes both payments, which records newer events for each.
    wait_until(lambda: count("SELECT count(*) FROM events WHERE created_at < now() - interval '30 days'") == 0)
    assert count("SELECT count(*) FROM events WHERE object_id = %s AND type = 'payment.created'", old) == 0
    assert count("SELECT count(*) FROM events WHERE object_id = %s AND type = 'payment.created'", recent) == 1


def test_gateway_purge_events_reports_what_it_deleted(
    api: Api, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    payments = _payments_with_deliveries(api, receiver, 3)
    _age(31, payments)

    assert cli.main(["purge-events"]) == 0

    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert out == {"retention_days": 30, "events": 3, "deliveries": 3, "attempts": 3, "response_bodies": 0}
    assert _tables() == (0, 0, 0)


@pytest.mark.static
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"payment": {"id": "pay_1", "amount": 1}}, "pay_1"),
        ({"refund": {"id": "rfnd_1", "payment_id": "pay_1"}}, "rfnd_1"),
        ({"message": "hi", "endpoint_id": "we_1"}, "we_1"),
        ({"message": "hi"}, None),
    ],
)
def test_an_events_object_is_the_first_object_in_its_data(data: dict[str, Any], expected: str | None) -> None:
    assert events.object_id(data) == expected
