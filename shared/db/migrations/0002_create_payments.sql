CREATE TABLE payments (
    id                text PRIMARY KEY,
    merchant_id       text NOT NULL REFERENCES merchants (id),
    amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
    currency          char(3) NOT NULL,
    method            text NOT NULL CHECK (method IN ('card', 'upi')),
    order_id          text NOT NULL,
    description       text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'failed')),
    captured          boolean NOT NULL DEFAULT false,
    captured_at       timestamptz,
    -- Only what a receipt may show: never the full number, never the CVV.
    card_network      text,
    card_last4        char(4),
    card_expiry_month smallint,
    card_expiry_year  smallint,
    vpa               text,
    -- The simulated acquirer's fixed answer for a test instrument, decided when the card is
    -- tokenised because the number itself is not kept.
    simulated_outcome text,
    submitted_at      timestamptz,
    error_code        text,
    error_description text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (captured = false OR status = 'success')
);
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at DESC, id DESC);
CREATE INDEX payments_pending ON payments (updated_at) WHERE status = 'pending';
