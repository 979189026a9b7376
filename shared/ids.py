"""Object ids: ``prefix_`` + 8 base62 chars of milliseconds + 12 random base62 chars.

The time part makes ids sort roughly by creation, which keeps B-tree inserts local and gives
list pagination a stable tie-breaker.
"""

from __future__ import annotations

import secrets
import time

from shared.errors import NotFound

PREFIXES = frozenset({"mch", "order", "pay", "rfnd", "evt", "we", "whd", "req"})
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MAX_LENGTH = 40


def _base62(value: int, width: int) -> str:
    """The low ``width`` base62 digits of ``value``."""
    chars = []
    for _ in range(width):
        value, rest = divmod(value, 62)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars))


def new(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    # 72 random bits fill 12 base62 digits (62**12 > 2**71), with a negligible bias.
    random_part = _base62(int.from_bytes(secrets.token_bytes(9)), 12)
    return f"{prefix}_{_base62(time.time_ns() // 1_000_000, 8)}{random_part}"


def parse(value: str, prefix: str) -> str:
    """Return ``value`` if it looks like an id of this kind.

    Raises:
        NotFound: a malformed id or one of another kind names nothing we could have.
    """
    if (
        not value.startswith(prefix + "_")
        or len(value) > _MAX_LENGTH
        or not all(c in _ALPHABET for c in value[len(prefix) + 1 :])
    ):
        raise NotFound(f"No {prefix} object with id {value[:_MAX_LENGTH]!r}", field="id")
    return value
