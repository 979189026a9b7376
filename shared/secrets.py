"""The gateway's own secrets: the key API keys are hashed under, and the key webhook secrets are
encrypted under. From AWS Secrets Manager when ``GATEWAY_SECRETS_ID`` is set (a JSON secret with
``secret_key`` and ``encryption_key``), otherwise from the environment."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from shared import aws
from shared.config import ConfigError, Settings, settings


@dataclass(frozen=True, slots=True)
class GatewaySecrets:
    secret_key: str
    encryption_key: str


def load(s: Settings) -> GatewaySecrets:
    if s.secrets_id is None:
        return GatewaySecrets(s.secret_key, s.encryption_key)
    raw = aws.client("secretsmanager", s).get_secret_value(SecretId=s.secrets_id)["SecretString"]
    try:
        values = json.loads(raw)
        return GatewaySecrets(str(values["secret_key"]), str(values["encryption_key"]))
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"Secret {s.secrets_id!r} must be a JSON object with secret_key and encryption_key") from None


@functools.cache
def gateway_secrets() -> GatewaySecrets:
    """Loaded once per process (at cold start when deployed)."""
    return load(settings())
