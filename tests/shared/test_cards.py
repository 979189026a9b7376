"""Card rules: the network from the number's prefix, Luhn, normalising, CVV length."""

from __future__ import annotations

import pytest

from shared import cards

pytestmark = pytest.mark.static


@pytest.mark.parametrize(
    ("number", "network"),
    [
        ("4111111111111111", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6521500000000000", "rupay"),  # inside Discover's 65 range: RuPay must win
        ("6011111111111117", "discover"),
        ("6500000000000002", "discover"),
        ("6521490000000000", "discover"),
        ("30569309025904", "diners"),
        ("3530111333300000", "jcb"),
        ("9999999999999995", "unknown"),
    ],
)
def test_network_is_detected_by_prefix(number: str, network: str) -> None:
    assert cards.network(number) == network


def test_luhn_accepts_valid_and_rejects_one_digit_off() -> None:
    assert cards.luhn_ok("4111111111111111")
    assert not cards.luhn_ok("4111111111111112")


def test_normalise_allows_spaces_and_dashes_only() -> None:
    assert cards.normalise("4111 1111-1111 1111") == "4111111111111111"
    assert cards.normalise("4111x111") is None
    assert cards.normalise("٤١١١") is None  # non-ASCII digits


def test_amex_cvv_has_four_digits() -> None:
    assert cards.cvv_length("amex") == 4
    assert cards.cvv_length("visa") == 3
