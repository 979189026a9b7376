"""The simulated acquirer: how long it takes and what it answers.

Test instruments give their fixed answer to test-mode payments and are declined in live mode
(``TEST_INSTRUMENT_IN_LIVE_MODE``). Anything else succeeds at the configured rate, or with
``TEST_MODE=true`` as ``TEST_PAYMENT_SUCCESS`` says, whatever the payment's mode.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.config import Settings
from shared.models.payments import PaymentStatus

SUCCESS = "success"
TEST_INSTRUMENT_IN_LIVE_MODE = "TEST_INSTRUMENT_IN_LIVE_MODE"
# Outcome codes for test instruments, stored with the payment since the card number is not.
TEST_CARDS: dict[str, str] = {
    "4111111111111111": SUCCESS,
    "4242424242424242": SUCCESS,
    "4000000000000002": "CARD_DECLINED",
    "4000000000009995": "INSUFFICIENT_FUNDS",
}
TEST_VPAS: dict[str, str] = {"success@upi": SUCCESS, "failure@upi": "UPI_PAYMENT_FAILED"}
DESCRIPTIONS = {
    "CARD_DECLINED": "The card was declined by the issuing bank",
    "INSUFFICIENT_FUNDS": "The card has insufficient funds",
    "UPI_PAYMENT_FAILED": "The UPI payment was declined by the payer's bank",
    "PAYMENT_DECLINED": "The payment was declined by the bank",
    TEST_INSTRUMENT_IN_LIVE_MODE: "This is a test card or UPI ID, which only works in test mode: "
    "pay with a real card or UPI ID, or use your test keys (key_test_…, pk_test_…)",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: PaymentStatus
    error_code: str | None = None
    error_description: str | None = None


def test_outcome(card_digits: str | None, vpa: str | None) -> str | None:
    """The fixed answer for a test instrument, or None for any other card or VPA."""
    if card_digits is not None:
        return TEST_CARDS.get(card_digits)
    if vpa is not None:
        return TEST_VPAS.get(vpa.lower())
    return None


def _failure(code: str) -> Outcome:
    return Outcome(PaymentStatus.FAILED, code, DESCRIPTIONS.get(code, "The payment failed"))


def decide(method: str, simulated_outcome: str | None, livemode: bool, settings: Settings) -> Outcome:
    """The acquirer's answer to a payment; ``simulated_outcome`` is set for test instruments."""
    if simulated_outcome is not None:
        if livemode:
            # A real acquirer knows nothing of our test cards. Declining them here stops a live
            # integration from "succeeding" with a card that charges nobody.
            return _failure(TEST_INSTRUMENT_IN_LIVE_MODE)
        return Outcome(PaymentStatus.SUCCESS) if simulated_outcome == SUCCESS else _failure(simulated_outcome)
    if settings.test_mode:
        succeeded = settings.test_payment_success
    else:
        rate = settings.card_success_rate if method == "card" else settings.upi_success_rate
        succeeded = random.random() < rate
    if succeeded:
        return Outcome(PaymentStatus.SUCCESS)
    return _failure("CARD_DECLINED" if method == "card" else "UPI_PAYMENT_FAILED")


def payment_delay_s(settings: Settings) -> float:
    if settings.test_mode:
        return settings.test_processing_delay_ms / 1000
    return random.uniform(1.0, 3.0)


def refund_delay_s(settings: Settings) -> float:
    if settings.test_mode:
        return settings.test_processing_delay_ms / 1000
    return random.uniform(3.0, 5.0)


def refund_succeeds(settings: Settings) -> bool:
    return settings.test_refund_success if settings.test_mode else True
