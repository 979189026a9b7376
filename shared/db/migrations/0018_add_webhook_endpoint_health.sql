-- Endpoint health (issue 11): an endpoint that answers nothing but failures for
-- WEBHOOK_ENDPOINT_DISABLE_AFTER_S, or answers 410 Gone, is disabled, and the reason is kept so
-- the merchant can see why. A success (or re-enabling) clears the failure run.
ALTER TABLE webhook_endpoints
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN failing_since timestamptz,
    ADD COLUMN disabled_reason text,
    ADD COLUMN disabled_at timestamptz;
