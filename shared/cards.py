"""Card number rules: normalising, the Luhn check, network detection by prefix, CVV length."""

from __future__ import annotations

# (network, [(low, high) prefix ranges compared on the same number of leading digits]).
# Order matters: RuPay's 6521–6531 range sits inside Discover's 65, so RuPay is checked first.
_NETWORKS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("amex", ((34, 34), (37, 37))),
    (
        "rupay",
        ((508227, 508227), (508500, 508999), (606985, 607984), (608001, 608500), (652150, 653149), (817290, 817290)),
    ),
    ("visa", ((4, 4),)),
    ("mastercard", ((51, 55), (2221, 2720))),
    ("diners", ((300, 305), (36, 36), (38, 39))),
    ("jcb", ((3528, 3589),)),
    ("discover", ((6011, 6011), (644, 649), (65, 65), (622126, 622925))),
)


def normalise(number: str) -> str | None:
    """Digits only (spaces and dashes allowed between groups), or None if anything else is there."""
    digits = number.replace(" ", "").replace("-", "")
    return digits if digits.isdigit() and digits.isascii() else None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def network(digits: str) -> str:
    for name, ranges in _NETWORKS:
        for low, high in ranges:
            width = len(str(low))
            if len(digits) >= width and low <= int(digits[:width]) <= high:
                return name
    return "unknown"


def cvv_length(network_name: str) -> int:
    return 4 if network_name == "amex" else 3
