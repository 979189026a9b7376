"""API keys: stored only as an HMAC under the gateway's secret key, looked up by that hash.

A merchant has a secret key (everything) and may have a publishable key (``pk_…``), which is safe
to put in a web page: it can create payments and read them, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac

from shared import db
from shared.errors import Forbidden, Unauthorized
from shared.secrets import gateway_secrets

_MAX_KEY_LENGTH = 200


def hash_api_key(api_key: str, secret_key: str | None = None) -> str:
    key = (secret_key or gateway_secrets().secret_key).encode()
    return hmac.new(key, api_key.encode(), hashlib.sha256).hexdigest()


def authenticate(api_key: str | None, *, publishable_ok: bool = False) -> str:
    """Return the merchant id the key belongs to.

    Raises:
        Unauthorized: the key is missing or matches no merchant.
        Forbidden: a publishable key, where the endpoint needs the secret key.
    """
    if not api_key:
        raise Unauthorized("Missing API key: send it in the X-Api-Key header")
    if len(api_key) > _MAX_KEY_LENGTH or not api_key.isascii():
        raise Unauthorized("Invalid API key")
    key_hash = hash_api_key(api_key)
    with db.autocommit() as tx:
        tx.execute(
            "SELECT id, api_key_hash = %s AS is_secret FROM merchants "
            "WHERE api_key_hash = %s OR publishable_key_hash = %s",
            (key_hash, key_hash, key_hash),
        )
        row = tx.fetchone()
    if row is None:
        raise Unauthorized("Invalid API key")
    if not row["is_secret"] and not publishable_ok:
        raise Forbidden("This endpoint needs your secret API key; publishable keys can only create and read payments")
    return str(row["id"])
