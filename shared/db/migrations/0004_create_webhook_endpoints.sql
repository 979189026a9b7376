CREATE TABLE webhook_endpoints (
    id                         text PRIMARY KEY,
    merchant_id                text NOT NULL REFERENCES merchants (id),
    url                        text NOT NULL,
    -- NULL means every event type.
    events                     text[],
    enabled                    boolean NOT NULL DEFAULT true,
    description                text,
    secret                     text NOT NULL,
    -- After a rotation the old secret keeps signing (alongside the new one) until it expires,
    -- so receivers can roll over without dropping deliveries.
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    deleted_at                 timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id) WHERE deleted_at IS NULL;
