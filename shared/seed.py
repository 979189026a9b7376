"""The seed: merchant "Test Merchant" with API key ``key_test_123`` and one webhook endpoint."""

from __future__ import annotations

import logging

from shared import auth, db
from shared.config import Settings
from shared.db import webhook_endpoints

logger = logging.getLogger(__name__)

MERCHANT_ID = "mch_test"
MERCHANT_NAME = "Test Merchant"
API_KEY = "key_test_123"
PUBLISHABLE_KEY = "pk_test_123"
ENDPOINT_ID = "we_test"
WEBHOOK_SECRET = "whsec_test_abc123"
_SEED_LOCK_ID = 7_311_025


def run(settings: Settings, *, with_endpoint: bool = True) -> None:
    """Create the seed rows if missing, and encrypt any webhook secret still stored in plain text."""
    with db.transaction() as tx:
        # Several processes may prepare at once (containers starting together): seed one at a time.
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_SEED_LOCK_ID,))
        tx.execute(
            "INSERT INTO merchants (id, name, api_key_hash, publishable_key_hash) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET publishable_key_hash = "
            "COALESCE(merchants.publishable_key_hash, EXCLUDED.publishable_key_hash)",
            (MERCHANT_ID, MERCHANT_NAME, auth.hash_api_key(API_KEY), auth.hash_api_key(PUBLISHABLE_KEY)),
        )
        webhook_endpoints.seal_plaintext_secrets(tx)
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
            )
            logger.info("seed.created", extra={"merchant": MERCHANT_ID, "webhook_url": settings.seed_webhook_url})
