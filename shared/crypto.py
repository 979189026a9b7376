"""Encryption at rest for webhook signing secrets (Fernet: AES-128-CBC with HMAC-SHA256).

Stored values look like ``enc:v1:<token>``. Values without the prefix are legacy plain text: they
are still read, and ``seal_plaintext_secrets`` (run by ``prepare``) encrypts them in place.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet

from shared.secrets import gateway_secrets

PREFIX = "enc:v1:"


@functools.cache
def _fernet(key: str) -> Fernet:
    # Any string works as the configured key: SHA-256 turns it into the 32 bytes Fernet needs.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(plaintext: str, key: str | None = None) -> str:
    return PREFIX + _fernet(key or gateway_secrets().encryption_key).encrypt(plaintext.encode()).decode()


def unseal(stored: str, key: str | None = None) -> str:
    if not stored.startswith(PREFIX):
        return stored
    return _fernet(key or gateway_secrets().encryption_key).decrypt(stored[len(PREFIX) :].encode()).decode()


def is_sealed(stored: str | None) -> bool:
    return stored is None or stored.startswith(PREFIX)
