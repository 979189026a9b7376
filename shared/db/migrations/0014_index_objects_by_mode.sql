-- Lists are filtered by merchant and mode. Index them that way, replacing the per-merchant indexes.
CREATE INDEX payments_merchant_mode_created ON payments (merchant_id, livemode, created_at DESC, id DESC);
DROP INDEX payments_merchant_created;
CREATE INDEX webhook_deliveries_merchant_mode_created
    ON webhook_deliveries (merchant_id, livemode, created_at DESC, id DESC);
DROP INDEX webhook_deliveries_merchant_created;
CREATE INDEX webhook_endpoints_merchant_mode ON webhook_endpoints (merchant_id, livemode) WHERE deleted_at IS NULL;
DROP INDEX webhook_endpoints_merchant;
