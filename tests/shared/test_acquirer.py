"""The simulated acquirer: test instruments answer in test mode only; other instruments ignore the mode."""

from __future__ import annotations

import pytest

from shared import acquirer
from shared.config import Settings
from shared.models.payments import PaymentStatus

SUCCEEDING = Settings.from_env({"TEST_MODE": "true", "TEST_PAYMENT_SUCCESS": "true"})
FAILING = Settings.from_env({"TEST_MODE": "true", "TEST_PAYMENT_SUCCESS": "false"})


@pytest.mark.parametrize(
    ("card", "vpa"), [(n, None) for n in acquirer.TEST_CARDS] + [(None, v) for v in acquirer.TEST_VPAS]
)
@pytest.mark.parametrize("settings", [SUCCEEDING, FAILING], ids=["succeeding", "failing"])
def test_test_instruments_are_declined_in_live_mode(card: str | None, vpa: str | None, settings: Settings) -> None:
    outcome = acquirer.decide("card" if card else "upi", acquirer.test_outcome(card, vpa), True, settings)

    assert outcome.status == PaymentStatus.FAILED
    assert outcome.error_code == "TEST_INSTRUMENT_IN_LIVE_MODE"
    assert outcome.error_description and "test keys" in outcome.error_description


@pytest.mark.parametrize(
    ("card", "vpa"), [(n, None) for n in acquirer.TEST_CARDS] + [(None, v) for v in acquirer.TEST_VPAS]
)
def test_test_instruments_keep_their_outcome_in_test_mode(card: str | None, vpa: str | None) -> None:
    simulated = acquirer.test_outcome(card, vpa)

    outcome = acquirer.decide("card" if card else "upi", simulated, False, FAILING)

    expected = PaymentStatus.SUCCESS if simulated == acquirer.SUCCESS else PaymentStatus.FAILED
    assert outcome.status == expected
    assert outcome.error_code == (None if simulated == acquirer.SUCCESS else simulated)


@pytest.mark.parametrize("livemode", [True, False])
def test_other_instruments_follow_the_simulation_in_either_mode(livemode: bool) -> None:
    assert acquirer.decide("card", None, livemode, SUCCEEDING).status == PaymentStatus.SUCCESS
    assert acquirer.decide("upi", None, livemode, FAILING).error_code == "UPI_PAYMENT_FAILED"
