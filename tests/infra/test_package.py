"""``chalice package``: the zip holds our code and the template has one function per job type."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What a deployment needs of the project; copying it leaves caches and build output behind.
PROJECT_FILES = ["app.py", "requirements.txt", ".chalice", "functions", "shared", "vendor", "infra/aws"]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = ROOT / name
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(
                source,
                project / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "deployments", "venv"),
            )
        else:
            shutil.copy2(source, project / name)
    out = project / "out"
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    # The prod stage, as deployed: Lambda invoker, secrets from Secrets Manager, template parameters.
    merge = ["--merge-template", "infra/aws/merge-template.json"]
    for fmt, extra in (("cloudformation", merge), ("terraform", [])):
        command = [chalice, "package", "--stage", "prod", "--pkg-format", fmt, *extra, str(out / fmt)]
        subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
    return out


def test_vendor_links_point_at_our_packages() -> None:
    for name in ("functions", "shared"):
        link = ROOT / "vendor" / name
        assert link.is_symlink() and os.readlink(link) == f"../{name}"


def test_package_contains_our_code(packaged: Path) -> None:
    names = set(zipfile.ZipFile(packaged / "cloudformation" / "deployment.zip").namelist())

    for module in (
        "app.py",
        "functions/api/create_payment.py",
        "functions/jobs/deliver_webhook.py",
        "functions/poller.py",
        "shared/queue.py",
        "shared/db/migrations/0001_create_merchants.sql",
    ):
        assert module in names, module
    assert "psycopg2/__init__.py" in names and "pydantic/__init__.py" in names
    assert not any("__pycache__" in n or n.startswith(("tests/", "infra/", "bench/")) for n in names)


def test_template_has_the_api_one_function_per_job_and_the_scheduled_poller(packaged: Path) -> None:
    resources = json.loads((packaged / "cloudformation" / "sam.json").read_text())["Resources"]
    functions = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}

    handlers = {props["Handler"] for props in functions.values()}
    assert handlers == {
        "app.app",
        "app.process_payment_job",
        "app.process_refund_job",
        "app.deliver_webhook_job",
        "app.poll_jobs",
    }
    app = importlib.import_module("app")
    for handler in handlers:
        assert callable(getattr(app, handler.split(".", 1)[1])), handler  # every handler string resolves
    poller = next(p for p in functions.values() if p["Handler"] == "app.poll_jobs")
    assert poller["Timeout"] == 900
    assert any(e["Type"] == "Schedule" for e in poller["Events"].values())
    assert any(v["Type"] == "AWS::Serverless::Api" for v in resources.values())


def test_template_takes_the_database_redis_and_network_as_parameters(packaged: Path) -> None:
    template = json.loads((packaged / "cloudformation" / "sam.json").read_text())

    assert {"DatabaseUrl", "RedisUrl", "SubnetIds", "SecurityGroupIds", "PollerSchedule"} <= set(template["Parameters"])
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["DATABASE_URL"] == {"Ref": "DatabaseUrl"} and env["REDIS_URL"] == {"Ref": "RedisUrl"}
    poller = template["Resources"]["PollJobs"]["Properties"]
    assert poller["Environment"]["Variables"]["JOB_INVOKER"] == "lambda"
    assert poller["Events"]["PollJobsEvent"]["Properties"]["Schedule"] == {"Ref": "PollerSchedule"}
    # The lanes, on Lambda: money jobs and deliveries each have concurrency of their own.
    reserved = {
        name: template["Resources"][name]["Properties"]["ReservedConcurrentExecutions"]
        for name in ("ProcessPayment", "ProcessRefund", "DeliverWebhook")
    }
    assert reserved == {
        "ProcessPayment": {"Ref": "MoneyJobConcurrency"},
        "ProcessRefund": {"Ref": "MoneyJobConcurrency"},
        "DeliverWebhook": {"Ref": "WebhookJobConcurrency"},
    }


def test_terraform_output_is_written(packaged: Path) -> None:
    config = json.loads((packaged / "terraform" / "chalice.tf.json").read_text())

    assert {"process_payment", "process_refund", "deliver_webhook", "poll_jobs", "api_handler"} <= set(
        config["resource"]["aws_lambda_function"]
    )
