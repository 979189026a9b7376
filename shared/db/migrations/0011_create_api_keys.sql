-- Every API key a merchant holds, by kind and mode. Only the HMAC-SHA256 of a key under the
-- gateway's secret key is stored. A request's mode is the stored mode of the key it carries.
CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    kind        text NOT NULL CHECK (kind IN ('secret', 'publishable')),
    livemode    boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The keys issued before modes existed are test keys. No live key had been issued, and test
-- cards worked with every key. A key whose prefix says otherwise (key_live_…) is refused at
-- authentication.
INSERT INTO api_keys (key_hash, merchant_id, kind, livemode, created_at)
SELECT api_key_hash, id, 'secret', false, created_at FROM merchants
UNION ALL
SELECT publishable_key_hash, id, 'publishable', false, created_at FROM merchants WHERE publishable_key_hash IS NOT NULL;
