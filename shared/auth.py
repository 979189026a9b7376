"""API keys: stored only as an HMAC under the gateway's secret key, looked up by that hash.

A merchant has secret keys (everything) and publishable keys, which are safe to put in a web page:
they can create payments and read them, and read what checkout needs of an order, nothing else.
Each kind comes in two modes, and the prefix says which: ``key_live_…`` and ``pk_live_…`` for
live, ``key_test_…`` and ``pk_test_…`` for test.
A request's mode is the stored mode of its key, and a key whose prefix disagrees with what is
stored never authenticates. Objects made in one mode are invisible in the other.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from enum import StrEnum
from typing import NamedTuple

from shared import db
from shared.db import Cursor, api_keys
from shared.errors import Forbidden, Unauthorized
from shared.secrets import gateway_secrets

logger = logging.getLogger(__name__)

_MAX_KEY_LENGTH = 200
# 24 random bytes are 32 URL-safe characters (192 bits), beyond any guessing.
_SUFFIX_BYTES = 24


class KeyKind(StrEnum):
    SECRET = "secret"
    PUBLISHABLE = "publishable"


# What a key's prefix says it is: (kind, livemode).
_PREFIXES: dict[str, tuple[KeyKind, bool]] = {
    "key_live_": (KeyKind.SECRET, True),
    "key_test_": (KeyKind.SECRET, False),
    "pk_live_": (KeyKind.PUBLISHABLE, True),
    "pk_test_": (KeyKind.PUBLISHABLE, False),
}


class Caller(NamedTuple):
    """Who a request is from: the merchant, and the mode of the key it used."""

    merchant_id: str
    livemode: bool


def hash_api_key(api_key: str, secret_key: str | None = None) -> str:
    key = (secret_key or gateway_secrets().secret_key).encode()
    return hmac.new(key, api_key.encode(), hashlib.sha256).hexdigest()


def _declared(api_key: str) -> tuple[KeyKind, bool] | None:
    """The (kind, livemode) a key's prefix claims, or None if it has none of ours."""
    for prefix, claim in _PREFIXES.items():
        if api_key.startswith(prefix) and len(api_key) > len(prefix):
            return claim
    return None


def _new_key(kind: KeyKind, livemode: bool) -> str:
    prefix = next(p for p, claim in _PREFIXES.items() if claim == (kind, livemode))
    return prefix + secrets.token_urlsafe(_SUFFIX_BYTES)


def store_key(tx: Cursor, merchant_id: str, api_key: str) -> None:
    """Store the key's hash, with the kind and mode its prefix says, so the two always agree.

    Raises:
        ValueError: the key has none of our prefixes.
    """
    claim = _declared(api_key)
    if claim is None:
        raise ValueError(f"an API key must start with one of {', '.join(_PREFIXES)}")
    api_keys.insert(tx, hash_api_key(api_key), merchant_id, claim[0], claim[1])


def issue_key(tx: Cursor, merchant_id: str, kind: KeyKind, livemode: bool) -> str:
    """A new random key for the merchant, stored hashed: the returned value cannot be recovered later."""
    api_key = _new_key(kind, livemode)
    store_key(tx, merchant_id, api_key)
    return api_key


def authenticate(api_key: str | None, *, publishable_ok: bool = False) -> Caller:
    """Return the merchant the key belongs to and the key's mode.

    Raises:
        Unauthorized: the key is missing, matches no merchant, or its prefix disagrees with the
            kind or mode it is stored with.
        Forbidden: a publishable key, where the endpoint needs the secret key.
    """
    if not api_key:
        raise Unauthorized("Missing API key: send it in the X-Api-Key header")
    if len(api_key) > _MAX_KEY_LENGTH or not api_key.isascii():
        raise Unauthorized("Invalid API key")
    claim = _declared(api_key)
    if claim is None:
        raise Unauthorized(f"Invalid API key: keys start with {', '.join(_PREFIXES)}")
    with db.autocommit() as tx:
        row = api_keys.find(tx, hash_api_key(api_key))
    if row is None:
        raise Unauthorized("Invalid API key")
    if (row["kind"], row["livemode"]) != claim:
        # Only a key stored from before modes existed, or edited by hand, can get here. Trusting
        # the prefix would let a request cross modes; trusting the row would make the key lie
        # about itself. Neither is safe, so refuse it.
        logger.warning("auth.key_prefix_mismatch", extra={"merchant_id": row["merchant_id"]})
        raise Unauthorized("Invalid API key")
    if row["kind"] != KeyKind.SECRET and not publishable_ok:
        raise Forbidden(
            "This endpoint needs your secret API key; publishable keys can only create and read payments "
            "and read an order for checkout"
        )
    return Caller(str(row["merchant_id"]), bool(row["livemode"]))
