"""docker-compose.yml end to end, in real containers: the seed's path, a worker crash, two of each.

The tests share one stack and run in file order: the last ones re-create it with two api and two
worker containers, then take it down and check that nothing of it is left.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import pytest
import requests

from tests.compose.stack import SERVICES, Stack

pytestmark = pytest.mark.compose

API_KEY = "key_test_123"  # the seed's test key (shared/seed.py)
SECRET_ID = "payment-gateway/local"  # provisioned by localstack/10-payment-gateway-secrets.sh
CARD = {"number": "4111111111111111", "expiry_month": 12, "expiry_year": 2035, "cvv": "123", "name": "Asha Rao"}
PAGES = ("checkout.html", "dashboard-webhooks.html")
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], timeout_s: float, what: str) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(0.25)


@dataclass(frozen=True)
class Api:
    base_url: str

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        headers = {"X-Api-Key": API_KEY, "Idempotency-Key": uuid.uuid4().hex}
        return requests.post(f"{self.base_url}/api/v1{path}", json=body, headers=headers, timeout=10)

    def get(self, path: str, *, key: str | None = API_KEY) -> requests.Response:
        headers = {"X-Api-Key": key} if key else {}
        return requests.get(f"{self.base_url}/api/v1{path}", headers=headers, timeout=10)

    def create_payment(self, order_id: str) -> str:
        reply = self.post(
            "/payments", {"amount": 50000, "currency": "INR", "method": "card", "order_id": order_id, "card": CARD}
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def settled(self, path: str, timeout_s: float = 60) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            body: dict[str, Any] = self.get(path).json()
            return body if body["status"] != "pending" else None

        return wait_for(done, timeout_s, f"{path} settled")


@dataclass(frozen=True)
class Merchant:
    """The test-merchant container: what it received, and what it printed."""

    base_url: str

    def events(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.base_url}/events", timeout=10).json()["events"])

    def received(self, event: str, object_ids: Iterable[str], timeout_s: float = 60) -> list[dict[str, Any]]:
        """The deliveries of ``event`` for ``object_ids`` once each id has at least one."""
        wanted = set(object_ids)

        def arrived() -> list[dict[str, Any]] | None:
            got = [e for e in self.events() if e["event"] == event and _object_id(e) in wanted]
            return got if {_object_id(e) for e in got} == wanted else None

        return wait_for(arrived, timeout_s, f"{event} for {len(wanted)} objects at the test merchant")


def _object_id(event: dict[str, Any]) -> str | None:
    """The payment or refund a delivery is about, as the test merchant prints it."""
    data = event.get("data") or {}
    for kind in ("payment", "refund"):
        if isinstance(data.get(kind), dict):
            return str(data[kind]["id"])
    return None


@pytest.fixture(scope="module")
def api(stack: Stack) -> Api:
    return Api(stack.url(stack.containers("api")[0], 8000))


@pytest.fixture(scope="module")
def merchant(stack: Stack) -> Merchant:
    return Merchant(stack.url(stack.containers("test-merchant")[0], 4000))


# ---- up -----------------------------------------------------------------------------------------


def test_every_service_runs_one_healthy_container(stack: Stack) -> None:
    running = {service: stack.containers(service) for service in SERVICES}

    assert {service: len(names) for service, names in running.items()} == dict.fromkeys(SERVICES, 1)
    assert all(stack.is_healthy(names[0]) for names in running.values())


def test_localstack_ran_the_ready_hook_and_holds_the_gateway_secret(stack: Stack) -> None:
    localstack = stack.url(stack.containers("localstack")[0], 4566)

    ready = requests.get(f"{localstack}/_localstack/init/ready", timeout=10).json()
    client = boto3.client(
        "secretsmanager",
        endpoint_url=localstack,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    secret = json.loads(client.get_secret_value(SecretId=SECRET_ID)["SecretString"])

    assert ready["completed"] is True
    assert [(s["name"], s["state"]) for s in ready["scripts"]] == [("10-payment-gateway-secrets.sh", "SUCCESSFUL")]
    assert set(secret) == {"secret_key", "encryption_key"}


# ---- the seed's path ------------------------------------------------------------------------------


def test_a_payment_succeeds_and_the_test_merchant_verifies_its_webhook(
    stack: Stack, api: Api, merchant: Merchant
) -> None:
    payment_id = api.create_payment("order_compose_1")

    payment = api.settled(f"/payments/{payment_id}")
    [delivery] = merchant.received("payment.success", [payment_id])

    assert payment["status"] == "success"
    assert delivery["verified"] is True and delivery["duplicate"] is False
    assert f"Verified: payment.success {payment_id}" in stack.logs(stack.containers("test-merchant")[0])


def test_a_refund_is_processed_and_the_test_merchant_verifies_its_webhook(
    stack: Stack, api: Api, merchant: Merchant
) -> None:
    payment_id = api.create_payment("order_compose_2")
    api.settled(f"/payments/{payment_id}")

    created = api.post(f"/payments/{payment_id}/refunds", {"amount": 5000, "reason": "Customer requested"})
    assert created.status_code == 201, created.text
    refund_id = created.json()["id"]
    refund = api.settled(f"/refunds/{refund_id}")
    [delivery] = merchant.received("refund.processed", [refund_id])

    assert refund["status"] == "processed"
    assert delivery["verified"] is True
    assert f"Verified: refund.processed {refund_id}" in stack.logs(stack.containers("test-merchant")[0])


def test_the_api_and_the_worker_read_their_keys_from_localstack(stack: Stack) -> None:
    localstack_log = stack.logs(stack.containers("localstack")[0])

    for service in ("api", "worker"):
        env = stack.inspect_env(stack.containers(service)[0])
        assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566", service
        assert env["GATEWAY_SECRETS_ID"] == SECRET_ID, service
        assert env["GATEWAY_SECRET_KEY"] == env["GATEWAY_ENCRYPTION_KEY"] == "", service
    # The only place the keys exist: a verified webhook (above) needed them in both containers.
    assert "secretsmanager.GetSecretValue => 200" in localstack_log


def test_the_widget_container_serves_the_sdk_and_both_pages(stack: Stack) -> None:
    widget = stack.url(stack.containers("checkout-widget")[0], 3001)

    sdk = requests.get(f"{widget}/checkout.js", timeout=10)
    pages = {page: requests.get(f"{widget}/{page}", timeout=10) for page in PAGES}

    assert sdk.status_code == 200 and "javascript" in sdk.headers["Content-Type"]
    assert len(sdk.content) > 1000
    for page, reply in pages.items():
        assert reply.status_code == 200 and reply.text.lower().startswith("<!doctype html>"), page
        scripts = re.findall(r'<script src="(/[^"]+)"', reply.text)
        assert scripts, page
        for script in scripts:
            assert requests.get(f"{widget}{script}", timeout=10).status_code == 200, (page, script)
    assert '<script src="/checkout.js">' in pages["checkout.html"].text


def test_job_status_reports_the_worker_running(api: Api) -> None:
    status = api.get("/test/jobs/status", key=None).json()

    assert status["worker_status"] == "running"
    assert status["workers"] >= 1


# ---- crash and scale ------------------------------------------------------------------------------


def _create_many(apis: list[Api], count: int, prefix: str) -> list[str]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda n: apis[n % len(apis)].create_payment(f"{prefix}_{n}"), range(count)))


def _successes_by_payment(deliveries: list[dict[str, Any]]) -> dict[str, int]:
    """First deliveries (not redeliveries) of payment.success per payment: 1 each means settled once."""
    counts: dict[str, int] = {}
    for delivery in deliveries:
        assert delivery["verified"] is True, delivery
        if not delivery["duplicate"]:
            key = str(_object_id(delivery))
            counts[key] = counts.get(key, 0) + 1
    return counts


def test_a_worker_killed_mid_flight_loses_no_payment(stack: Stack, api: Api, merchant: Merchant) -> None:
    [worker] = stack.containers("worker")
    payment_ids = _create_many([api], 24, "order_crash")

    # SIGKILL while jobs are leased (each payment takes TEST_PROCESSING_DELAY to process).
    time.sleep(0.5)
    stack.podman("kill", "--signal", "KILL", worker)
    in_flight = [pid for pid in payment_ids if api.get(f"/payments/{pid}").json()["status"] == "pending"]
    stack.podman("start", worker)

    # Jobs the dead worker held come back when their lease (JOB_LEASE_S) expires.
    payments = [api.settled(f"/payments/{pid}", timeout_s=180) for pid in payment_ids]
    deliveries = merchant.received("payment.success", payment_ids, timeout_s=120)

    assert in_flight, "every payment settled before the kill: nothing was in flight"
    assert {p["status"] for p in payments} == {"success"}
    # At least once: a delivery cut off by the kill may be sent again, but never as a second event.
    assert _successes_by_payment(deliveries) == dict.fromkeys(payment_ids, 1)


def test_two_apis_and_two_workers_settle_every_payment_once(stack: Stack) -> None:
    stack.compose("down")  # keeps the volumes: the same data, now served by two of each
    stack.up(scaled=True)
    stack.wait_healthy()
    apis = [Api(stack.url(name, 8000)) for name in stack.containers("api")]
    merchant = Merchant(stack.url(stack.containers("test-merchant")[0], 4000))
    assert len(apis) == len(stack.containers("worker")) == 2

    payment_ids = _create_many(apis, 40, "order_scale")
    payments = [apis[0].settled(f"/payments/{pid}") for pid in payment_ids]
    deliveries = merchant.received("payment.success", payment_ids)
    status = apis[1].get("/test/jobs/status", key=None).json()

    assert {p["status"] for p in payments} == {"success"}
    assert _successes_by_payment(deliveries) == dict.fromkeys(payment_ids, 1)
    assert [d for d in deliveries if d["duplicate"]] == []
    assert status["workers"] == 2


def test_down_leaves_nothing_behind(stack: Stack) -> None:
    stack.compose("down", "-v")

    assert stack.leftovers() == {}
