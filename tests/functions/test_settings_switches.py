"""Behaviour behind settings, with the process settings swapped for one test."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from functions.api import get_job_status
from functions.jobs import process_refund
from shared import seed
from shared.config import settings
from shared.errors import FeatureDisabled, Unauthorized
from shared.http import Call
from shared.models.jobs import JobStatus
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


KEYLESS_STATUS = Call(
    method="GET", path="/api/v1/test/jobs/status", params={}, query={}, headers={}, raw_body=b"", request_id="req_test"
)


def test_job_status_endpoint_can_be_switched_off(setting: Any) -> None:
    setting("JOB_STATUS_ENABLED", "false")

    with pytest.raises(FeatureDisabled):
        get_job_status.handle(KEYLESS_STATUS)


def test_in_production_the_job_status_needs_a_key(setting: Any) -> None:
    # The whole queue's counts would tell anyone the gateway's live volume.
    setting("GATEWAY_SECRET_KEY", "s" * 32)
    setting("GATEWAY_ENCRYPTION_KEY", Fernet.generate_key().decode())
    setting("GATEWAY_ENV", "production")

    with pytest.raises(Unauthorized):
        get_job_status.handle(KEYLESS_STATUS)
    mine = get_job_status.handle(dataclasses.replace(KEYLESS_STATUS, merchant_id=seed.MERCHANT_ID, livemode=True))
    assert mine.status == 200 and isinstance(mine.body, JobStatus) and mine.body.livemode is True


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
