CREATE TABLE refunds (
    id           text PRIMARY KEY,
    payment_id   text NOT NULL REFERENCES payments (id),
    merchant_id  text NOT NULL REFERENCES merchants (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL,
    reason       text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
    error_code   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at DESC);
CREATE INDEX refunds_pending ON refunds (updated_at) WHERE status = 'pending';
