"""The seed: merchant "Test Merchant" with the test keys ``key_test_123`` and ``pk_test_123`` and one
webhook endpoint, all in test mode. The keys are published in the README, so the seed is created
only outside production (``gateway seed`` refuses there)."""

from __future__ import annotations

import logging

from shared import auth, db
from shared.config import Settings
from shared.db import api_keys, merchants, webhook_endpoints

logger = logging.getLogger(__name__)

MERCHANT_ID = "mch_test"
MERCHANT_NAME = "Test Merchant"
API_KEY = "key_test_123"
PUBLISHABLE_KEY = "pk_test_123"
ENDPOINT_ID = "we_test"
WEBHOOK_SECRET = "whsec_test_abc123"
_SEED_LOCK_ID = 7_311_025


def is_allowed(settings: Settings) -> bool:
    """Whether the seed may exist here: its keys are public, so never in production."""
    return settings.environment != "production"


def run(settings: Settings, *, with_endpoint: bool = True) -> None:
    """Encrypt any webhook secret still stored in plain text, and outside production create the
    seed rows if missing."""
    with db.transaction() as tx:
        # Several processes may prepare at once (containers starting together): seed one at a time.
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_SEED_LOCK_ID,))
        webhook_endpoints.seal_plaintext_secrets(tx)
        if not is_allowed(settings):
            logger.warning("seed.refused", extra={"environment": settings.environment})
            return
        if not merchants.exists(tx, MERCHANT_ID):
            merchants.insert(tx, MERCHANT_ID, MERCHANT_NAME)
        for key in (API_KEY, PUBLISHABLE_KEY):
            if api_keys.find(tx, auth.hash_api_key(key)) is None:
                auth.store_key(tx, MERCHANT_ID, key)
        tx.execute("SELECT 1 FROM webhook_endpoints WHERE id = %s", (ENDPOINT_ID,))
        if with_endpoint and tx.fetchone() is None:
            webhook_endpoints.insert(
                tx,
                MERCHANT_ID,
                settings.seed_webhook_url,
                None,
                WEBHOOK_SECRET,
                "Seeded test merchant receiver",
                endpoint_id=ENDPOINT_ID,
                livemode=False,
            )
            logger.info("seed.created", extra={"merchant": MERCHANT_ID, "webhook_url": settings.seed_webhook_url})
