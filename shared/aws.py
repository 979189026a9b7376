"""Every AWS client comes from here: LocalStack, moto or real AWS, chosen by configuration.

``AWS_ENDPOINT_URL`` points every client at one endpoint (LocalStack, a moto server); without it,
``LOCALSTACK_HOST`` gives a localstack-client session; without either, boto3 talks to AWS.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
import localstack_client.session
from botocore.config import Config

from shared.config import Settings, settings

# Short timeouts: every caller has a fallback or a retry, and a hung AWS call must not stall a poller.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"})


def client(service: str, s: Settings | None = None) -> Any:
    """A client for ``service``, cached per endpoint (boto3 clients are thread-safe)."""
    s = s or settings()
    return _client(service, s.aws_endpoint_url, s.localstack_host, s.aws_region)


@functools.cache
def _client(service: str, endpoint_url: str | None, localstack_host: str | None, region: str) -> Any:
    if localstack_host and not endpoint_url:
        session = localstack_client.session.Session(localstack_host=localstack_host, region_name=region)
        return session.client(service, config=_CLIENT_CONFIG)
    return boto3.session.Session(region_name=region).client(service, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
