"""``gateway``: every handler invoked by itself through the entry point Lambda uses."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from infra import cli
from tests.conftest import ROOT, Receiver, count, payment_body, scalar, wait_until

KEY = "key_test_123"


def gateway(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert cli.main(list(args)) == 0
    out = capsys.readouterr().out
    try:
        return json.loads(out)
    except ValueError:
        return out


def invoke(capsys: pytest.CaptureFixture[str], name: str, event: dict[str, Any]) -> Any:
    return gateway(capsys, "invoke", name, "--event", json.dumps(event))


def test_list_names_every_handler(capsys: pytest.CaptureFixture[str]) -> None:
    out = gateway(capsys, "list")

    for name in ("create_payment", "retry_webhook_delivery", "process_payment", "deliver_webhook", "poll_jobs"):
        assert name in out


@pytest.mark.parametrize("command", ["list", "invoke", "queue", "migrate", "seed", "replay"])
def test_every_command_has_help(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", command, "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0 and "usage: gateway" in result.stdout


def test_every_handler_runs_by_itself(capsys: pytest.CaptureFixture[str], receiver: Receiver) -> None:
    """Each HTTP, job and scheduled handler, invoked one at a time, in the order a payment lives."""
    endpoint = invoke(capsys, "create_webhook_endpoint", {"api_key": KEY, "body": {"url": receiver.url}})
    assert endpoint["status"] == 201
    we = {"endpoint_id": endpoint["body"]["id"]}
    created = invoke(capsys, "create_payment", {"api_key": KEY, "body": payment_body()})
    assert created["status"] == 201
    pay = {"payment_id": created["body"]["id"]}

    assert invoke(capsys, "process_payment", {"ref_id": pay["payment_id"]})["follow_ups"]
    assert invoke(capsys, "get_payment", {"api_key": KEY, "params": pay})["body"]["status"] == "success"
    assert invoke(capsys, "list_payments", {"api_key": KEY, "query": {"limit": 5}})["body"]["total"] == 1
    assert invoke(capsys, "capture_payment", {"api_key": KEY, "params": pay})["body"]["captured"] is True
    refund = invoke(capsys, "create_refund", {"api_key": KEY, "params": pay, "body": {"amount": 100}})
    assert refund["status"] == 201
    assert invoke(capsys, "process_refund", {"ref_id": refund["body"]["id"]})["follow_ups"]
    assert (
        invoke(capsys, "get_refund", {"api_key": KEY, "params": {"refund_id": refund["body"]["id"]}})["body"]["status"]
        == "processed"
    )
    assert invoke(capsys, "list_refunds", {"api_key": KEY, "params": pay})["body"]["total"] == 1

    deliveries = invoke(capsys, "list_webhook_deliveries", {"api_key": KEY, "query": {"limit": 100}})["body"]
    delivery_id = deliveries["data"][0]["id"]
    assert invoke(capsys, "deliver_webhook", {"ref_id": delivery_id})["job"] == f"deliver_webhook:{delivery_id}"
    assert (
        invoke(capsys, "get_webhook_delivery", {"api_key": KEY, "params": {"delivery_id": delivery_id}})["body"][
            "status"
        ]
        == "success"
    )
    assert (
        invoke(capsys, "retry_webhook_delivery", {"api_key": KEY, "params": {"delivery_id": delivery_id}})["status"]
        == 202
    )
    assert invoke(capsys, "send_test_webhook", {"api_key": KEY, "params": we})["status"] == 202

    def drained() -> bool:
        gateway(capsys, "invoke", "poll_jobs", "--seconds", "1")  # the scheduled poller, a second at a time
        return count("SELECT count(*) FROM webhook_deliveries WHERE status <> 'success'") == 0

    wait_until(drained)  # every delivery queued above

    assert invoke(capsys, "list_webhook_endpoints", {"api_key": KEY})["body"]["total"] == 1
    assert invoke(capsys, "get_webhook_endpoint", {"api_key": KEY, "params": we})["status"] == 200
    assert (
        invoke(capsys, "update_webhook_endpoint", {"api_key": KEY, "params": we, "body": {"enabled": False}})["body"][
            "enabled"
        ]
        is False
    )
    assert invoke(capsys, "rotate_webhook_secret", {"api_key": KEY, "params": we})["status"] == 200
    assert invoke(capsys, "delete_webhook_endpoint", {"api_key": KEY, "params": we})["body"]["deleted"] is True
    assert invoke(capsys, "get_job_status", {})["status"] == 200


def test_missing_path_parameter_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="payment_id"):
        cli.main(["invoke", "get_payment", "--event", "{}"])


def test_event_from_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"api_key": KEY})))

    assert gateway(capsys, "invoke", "list_payments", "-")["status"] == 200


def test_queue_migrate_and_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert "nothing" in gateway(capsys, "migrate")
    assert "mch_test" in gateway(capsys, "seed")
    invoke(capsys, "create_payment", {"api_key": KEY, "body": payment_body()})

    state = gateway(capsys, "queue")

    # The payment's job in the money lane, and the delivery of payment.created in the webhook lane.
    assert [row["job"].split(":")[0] for row in state["money_due"]] == ["process_payment"]
    assert [row["job"].split(":")[0] for row in state["webhooks_due"]] == ["deliver_webhook"]
    assert state["pending"] == 2 and state["processing"] == 0 and state["dead"] == []


def test_replay_now_sends_the_delivery_again(capsys: pytest.CaptureFixture[str], receiver: Receiver) -> None:
    invoke(capsys, "create_webhook_endpoint", {"api_key": KEY, "body": {"url": receiver.url}})
    invoke(capsys, "create_payment", {"api_key": KEY, "body": payment_body()})
    delivery_id = scalar("SELECT id FROM webhook_deliveries LIMIT 1")

    replayed = gateway(capsys, "replay", delivery_id, "--now")

    assert replayed["status"] == "success" and replayed["attempts"] == 1
    assert len(receiver.events()) == 1
