"""Both signature schemes over the raw body, checked against the Standard Webhooks package, and rotation."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from shared import signing

pytestmark = pytest.mark.static


def test_hex_signature_is_hmac_of_raw_body_keyed_by_whole_secret() -> None:
    body = b'{"id":"evt_1","event":"payment.success"}'

    assert (
        signing.hex_signature("whsec_test_abc123", body)
        == hmac.new(b"whsec_test_abc123", body, hashlib.sha256).hexdigest()
    )


def test_standard_webhooks_package_verifies_our_headers() -> None:
    secret = signing.new_secret()
    body = json.dumps({"id": "evt_1", "event": "payment.success"}).encode()

    headers = signing.headers([secret], "evt_1", int(time.time()), body)

    assert Webhook(secret).verify(body, headers) == {"id": "evt_1", "event": "payment.success"}


def test_we_verify_what_the_standard_webhooks_package_signs() -> None:
    secret = signing.new_secret()

    now = datetime.now(UTC)
    theirs = Webhook(secret).sign("msg_1", now, "{}")

    assert theirs == signing.standard_signature(secret, "msg_1", int(now.timestamp()), b"{}")


def test_seeded_secret_works_for_both_schemes() -> None:
    body = b'{"id":"evt_1","event":"payment.success"}'

    headers = signing.headers(["whsec_test_abc123"], "evt_1", int(time.time()), body)

    assert Webhook("whsec_test_abc123").verify(body, headers) == json.loads(body)
    assert headers["X-Webhook-Signature"] == hmac.new(b"whsec_test_abc123", body, hashlib.sha256).hexdigest()


def test_rotation_sends_both_signatures_and_either_secret_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], "evt_1", int(time.time()), b"{}")

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(b"{}", headers)
    Webhook(new).verify(b"{}", headers)
    assert headers["X-Webhook-Signature"] == signing.hex_signature(new, b"{}")


def test_new_secrets_are_unique_and_standard_format() -> None:
    a, b = signing.new_secret(), signing.new_secret()

    assert a != b and a.startswith("whsec_")
    assert len(signing.standard_key(a)) == 32
