"""Webhook signing secrets are encrypted at rest and still sign correctly."""

from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken

from shared import crypto, db, seed
from shared.config import settings
from tests.conftest import Api, scalar


def test_seal_round_trips_and_needs_the_right_key() -> None:
    sealed = crypto.seal("whsec_abc", key="k1")

    assert sealed.startswith("enc:v1:") and "whsec_abc" not in sealed
    assert crypto.unseal(sealed, key="k1") == "whsec_abc"
    with pytest.raises(InvalidToken):
        crypto.unseal(sealed, key="k2")


def test_plain_text_is_read_as_is() -> None:
    assert crypto.unseal("whsec_legacy") == "whsec_legacy"


def test_endpoint_secrets_are_stored_encrypted(api: Api) -> None:
    endpoint = api.post("/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}).json()
    rotated = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()

    stored, previous = (
        scalar("SELECT secret FROM webhook_endpoints WHERE id = %s", endpoint["id"]),
        scalar("SELECT previous_secret FROM webhook_endpoints WHERE id = %s", endpoint["id"]),
    )
    assert stored.startswith("enc:v1:") and rotated["secret"] not in stored
    assert previous.startswith("enc:v1:") and endpoint["secret"] not in previous
    revealed = api.get(f"/webhook-endpoints/{endpoint['id']}", params={"reveal_secret": "true"}).json()
    assert revealed["secret"] == rotated["secret"]


def test_seeding_encrypts_secrets_left_in_plain_text() -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_plain', 'mch_test', "
            "'http://127.0.0.1:9/', 'whsec_plain')"
        )

    seed.run(settings())

    assert scalar("SELECT secret FROM webhook_endpoints WHERE id = 'we_plain'").startswith("enc:v1:")
    seeded = scalar("SELECT secret FROM webhook_endpoints WHERE id = %s", seed.ENDPOINT_ID)
    assert crypto.unseal(seeded) == seed.WEBHOOK_SECRET
