"""AWS paths against a real local emulator over HTTP: moto's server mode (no Docker needed).

moto does not run Lambda code, so the invoker tests assert the invocation requests moto receives.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from typing import Any

import pytest
import redis

from shared import aws, invoker, keys, secrets
from shared.config import ConfigError, Settings, settings
from shared.queue import FollowUp, Queue


@pytest.fixture
def aws_settings(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return dataclasses.replace(settings(), aws_endpoint_url=moto_url, aws_region="us-east-1")


def test_gateway_secrets_come_from_secrets_manager(aws_settings: Settings) -> None:
    sm = aws.client("secretsmanager", aws_settings)
    sm.create_secret(Name="gw/test", SecretString=json.dumps({"secret_key": "sk", "encryption_key": "ek"}))

    loaded = secrets.load(dataclasses.replace(aws_settings, secrets_id="gw/test"))

    assert loaded == secrets.GatewaySecrets(secret_key="sk", encryption_key="ek")


def test_malformed_secret_is_a_config_error(aws_settings: Settings) -> None:
    aws.client("secretsmanager", aws_settings).create_secret(Name="gw/bad", SecretString="not json")

    with pytest.raises(ConfigError, match="gw/bad"):
        secrets.load(dataclasses.replace(aws_settings, secrets_id="gw/bad"))


def test_without_a_secret_id_secrets_come_from_the_environment() -> None:
    s = Settings.from_env({"GATEWAY_SECRET_KEY": "a", "GATEWAY_ENCRYPTION_KEY": "b"})

    assert secrets.load(s) == secrets.GatewaySecrets("a", "b")


def test_localstack_host_gives_a_localstack_client_session(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    host = moto_url.removeprefix("http://")
    s = dataclasses.replace(settings(), aws_endpoint_url=None, localstack_host=host)

    sm = aws.client("secretsmanager", s)
    sm.create_secret(Name="gw/ls", SecretString="{}")

    assert sm.meta.endpoint_url == moto_url
    assert sm.get_secret_value(SecretId="gw/ls")["SecretString"] == "{}"


def _create_function(aws_settings: Settings, name: str) -> None:
    iam = aws.client("iam", aws_settings)
    role = iam.create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    aws.client("lambda", aws_settings).create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": code.getvalue()}
    )


def test_lambda_invoker_hands_the_job_with_its_lease_to_the_job_function(
    aws_settings: Settings, redis_client: redis.Redis
) -> None:
    s = dataclasses.replace(aws_settings, job_invoker="lambda", lambda_function_prefix="payment-gateway-dev-")
    _create_function(s, "payment-gateway-dev-process_payment")
    client = aws.client("lambda", s)
    sent: list[dict[str, Any]] = []
    answers: list[int] = []
    client.meta.events.register("before-call.lambda.Invoke", lambda params, **_: sent.append(params))
    client.meta.events.register(
        "after-call.lambda.Invoke", lambda http_response, **_: answers.append(http_response.status_code)
    )
    q = Queue.from_url(settings().redis_url)
    q.enqueue([FollowUp("process_payment", "pay_1")])
    [job] = q.claim("money", 1, lease_s=30)

    invoker.for_settings(s, {}, q)(job)

    assert len(sent) == 1 and answers == [202]
    assert sent[0]["url_path"].endswith("/functions/payment-gateway-dev-process_payment/invocations")
    assert sent[0]["headers"]["X-Amz-Invocation-Type"] == "Event"
    assert json.loads(sent[0]["body"]) == invoker.job_event(job)
    assert json.loads(sent[0]["body"])["lease"] == job.lease
    # The job function, not the poller, settles the job: it is still leased.
    assert q.stats()["processing"] == 1
    q.redis.close()


def test_refused_invocation_puts_the_job_back_for_a_retry(aws_settings: Settings, redis_client: redis.Redis) -> None:
    s = dataclasses.replace(aws_settings, job_invoker="lambda", aws_endpoint_url="http://127.0.0.1:1")
    q = Queue.from_url(settings().redis_url)
    q.enqueue([FollowUp("process_payment", "pay_1")])
    [job] = q.claim("money", 1, lease_s=30)

    invoker.via_lambda(q, "payment-gateway-dev-", aws.client("lambda", s))(job)

    assert q.stats() == {"pending": 1, "processing": 0, "parked": 0, "completed": 0, "failed": 0}
    assert b"lambda invoke failed" in (q.redis.hget(keys.job(job.id), "last_error") or b"")
    q.redis.close()
