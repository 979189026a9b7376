"""Behaviour behind settings, with the process settings swapped for one test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.api import get_job_status
from functions.jobs import process_refund
from shared.config import settings
from shared.errors import FeatureDisabled
from shared.http import Call
from shared.queue import Job
from tests.conftest import Api, Poller, payment_body, scalar, settled_payment


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def change(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield change
    monkeypatch.undo()
    settings.cache_clear()


def test_job_status_endpoint_can_be_switched_off(setting: Any) -> None:
    setting("JOB_STATUS_ENABLED", "false")
    call = Call(
        method="GET",
        path="/api/v1/test/jobs/status",
        params={},
        query={},
        headers={},
        raw_body=b"",
        request_id="req_test",
    )

    with pytest.raises(FeatureDisabled):
        get_job_status.handle(call)


def test_failed_refund_emits_refund_failed(api: Api, pollers: Poller, setting: Any) -> None:
    pollers.start()
    payment = settled_payment(api, api.post("/payments", json=payment_body()).json()["id"])
    pollers.stop_all()  # this test runs the refund job itself
    refund = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}).json()
    setting("TEST_REFUND_SUCCESS", "false")

    process_refund.run(Job(id="j", type="process_refund", ref_id=refund["id"], attempt=1))

    failed = api.get(f"/refunds/{refund['id']}").json()
    assert failed["status"] == "failed" and failed["error_code"] == "REFUND_FAILED"
    assert scalar("SELECT count(*) FROM events WHERE type = 'refund.failed'") == 1
    # A failed refund gives the room back.
    assert api.post(f"/payments/{payment['id']}/refunds", json={"amount": payment["amount"]}).status_code == 201
