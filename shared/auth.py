"""API keys: stored only as an HMAC under the gateway's secret key, looked up by that hash."""

from __future__ import annotations

import hashlib
import hmac

from shared import db
from shared.errors import Unauthorized
from shared.secrets import gateway_secrets

_MAX_KEY_LENGTH = 200


def hash_api_key(api_key: str, secret_key: str | None = None) -> str:
    key = (secret_key or gateway_secrets().secret_key).encode()
    return hmac.new(key, api_key.encode(), hashlib.sha256).hexdigest()


def authenticate(api_key: str | None) -> str:
    """Return the merchant id the key belongs to.

    Raises:
        Unauthorized: the key is missing or matches no merchant.
    """
    if not api_key:
        raise Unauthorized("Missing API key: send it in the X-Api-Key header")
    if len(api_key) > _MAX_KEY_LENGTH or not api_key.isascii():
        raise Unauthorized("Invalid API key")
    with db.autocommit() as tx:
        tx.execute("SELECT id FROM merchants WHERE api_key_hash = %s", (hash_api_key(api_key),))
        row = tx.fetchone()
    if row is None:
        raise Unauthorized("Invalid API key")
    return str(row["id"])
