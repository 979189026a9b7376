"""Webhook signatures: the seed's hex HMAC header and Standard Webhooks v1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes, the Standard Webhooks secret format."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def hex_signature(secret: str, body: bytes) -> str:
    """``X-Webhook-Signature``: hex HMAC-SHA256 of the raw body, keyed by the whole secret string."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key: the base64 after ``whsec_``.

    Decoded leniently, exactly as the ``standardwebhooks`` packages do, so that even the seeded
    ``whsec_test_abc123`` (not valid base64) gives receivers and us the same key.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "==")


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every signature header for one attempt. The first secret is current; any others are
    rotated-out secrets still honoured, which only the Standard Webhooks header can carry."""
    return {
        "X-Webhook-Signature": hex_signature(secrets_in_use[0], body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(s, message_id, timestamp, body) for s in secrets_in_use),
    }
