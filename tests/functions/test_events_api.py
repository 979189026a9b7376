"""GET /events and GET /events/{id}: the payloads exactly as signed and sent, filters, paging, scope."""

from __future__ import annotations

import time
from typing import Any

from shared import db
from tests.conftest import Api, Poller, Receiver, count, create_endpoint, payment_body, settled_payment, wait_until


def _events(api: Api, **params: Any) -> dict[str, Any]:
    response = api.get("/events", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_events_payload_is_exactly_the_body_the_receiver_got(api: Api, poller: Poller, receiver: Receiver) -> None:
    create_endpoint(api, receiver.url)
    payment = api.post("/payments", json=payment_body()).json()
    wait_until(lambda: len(receiver.events()) == 3)

    listed = _events(api, object_id=payment["id"])

    assert [e["type"] for e in listed["data"]] == ["payment.success", "payment.pending", "payment.created"]
    assert listed["total"] == 3
    for request in receiver.events():
        sent = request.json()
        event = api.get(f"/events/{sent['id']}").json()
        assert event["payload"] == sent
        assert event["id"] == sent["id"] == request.headers["webhook-id"]
        assert event["entity"] == "event" and event["livemode"] is False
        assert event["type"] == sent["event"] and event["object_id"] == payment["id"]
        assert event["created_at"].endswith("Z")
        assert event in listed["data"]


def test_events_filter_by_type_object_and_created_range_and_page(api: Api) -> None:
    first = api.post("/payments", json=payment_body(order_id="o1")).json()
    second = api.post("/payments", json=payment_body(order_id="o2")).json()
    # Each creation records payment.created; with no poller, nothing more happens.
    wait_until(lambda: count("SELECT count(*) FROM events") == 2)
    with db.transaction() as tx:
        tx.execute("UPDATE events SET created_at = to_timestamp(1700000000) WHERE object_id = %s", (first["id"],))

    assert [e["object_id"] for e in _events(api)["data"]] == [second["id"], first["id"]]
    assert [e["object_id"] for e in _events(api, object_id=first["id"])["data"]] == [first["id"]]
    assert _events(api, type="payment.created")["total"] == 2
    assert _events(api, type="refund.processed")["total"] == 0
    assert _events(api, object_id="pay_unknown")["total"] == 0
    # Both ends are included, to the second.
    exactly = _events(api, created_gte=1700000000, created_lte=1700000000)
    assert [e["object_id"] for e in exactly["data"]] == [first["id"]]
    assert exactly["data"][0]["created_at"] == "2023-11-14T22:13:20.000Z"
    assert [e["object_id"] for e in _events(api, created_gte=1700000001)["data"]] == [second["id"]]
    assert [e["object_id"] for e in _events(api, created_lte=1699999999)["data"]] == []
    assert [e["object_id"] for e in _events(api, created_gte=int(time.time()) - 600)["data"]] == [second["id"]]
    page = _events(api, limit=1, offset=1)
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    assert [e["object_id"] for e in page["data"]] == [first["id"]]


def test_bad_filters_are_refused_naming_the_parameter(api: Api) -> None:
    for params, field in (
        ({"created_gte": "yesterday"}, "created_gte"),
        ({"created_lte": "-1"}, "created_lte"),
        ({"created_gte": "1.5"}, "created_gte"),
        ({"created_lte": "999999999999999"}, "created_lte"),
        ({"created_gte": ""}, "created_gte"),
        ({"type": "payment.nope"}, "type"),
        ({"object_id": ""}, "object_id"),
        ({"limit": "0"}, "limit"),
    ):
        response = api.get("/events", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] == field


def test_another_merchants_or_the_other_modes_event_is_not_found(
    api: Api, other_api: Api, live_api: Api, receiver: Receiver
) -> None:
    endpoint = create_endpoint(api, receiver.url)
    api.post(f"/webhook-endpoints/{endpoint['id']}/test")
    [event] = _events(api)["data"]

    assert event["type"] == "webhook.test" and event["object_id"] == endpoint["id"]
    assert api.get(f"/events/{event['id']}").status_code == 200
    for other in (other_api, live_api):
        assert other.get(f"/events/{event['id']}").json()["error"]["code"] == "NOT_FOUND_ERROR"
        assert other.get("/events").json()["total"] == 0
        assert other.get("/events", params={"object_id": endpoint["id"]}).json()["total"] == 0
    assert api.get("/events/evt_unknown").status_code == 404
    assert api.get(f"/events/{endpoint['id']}").status_code == 404


def test_live_events_are_listed_to_live_keys_only(api: Api, live_api: Api) -> None:
    body = {k: v for k, v in payment_body(method="upi", vpa="asha.rao@okbank").items() if k != "card"}
    created = live_api.post("/payments", json=body)
    assert created.status_code == 201, created.text
    payment = created.json()

    [event] = _events(live_api)["data"]

    assert event["livemode"] is True and event["payload"]["livemode"] is True
    assert event["object_id"] == payment["id"]
    assert _events(api)["total"] == 0


def test_refund_events_are_about_the_refund(api: Api, poller: Poller) -> None:
    payment = api.post("/payments", json=payment_body()).json()
    settled_payment(api, payment["id"])
    refund = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).json()

    listed = wait_until(lambda: _events(api, object_id=refund["id"], type="refund.processed")["data"])

    assert listed[0]["payload"]["data"]["refund"]["id"] == refund["id"]
