CREATE TABLE webhook_deliveries (
    id                 text PRIMARY KEY,
    merchant_id        text NOT NULL REFERENCES merchants (id),
    event_id           text NOT NULL REFERENCES events (id),
    endpoint_id        text NOT NULL REFERENCES webhook_endpoints (id),
    event_type         text NOT NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    -- Attempts made by the automatic schedule (manual retries do not advance it).
    scheduled_attempts integer NOT NULL DEFAULT 0,
    -- Bumped by a manual retry, so an attempt already in flight knows not to settle the delivery.
    generation         integer NOT NULL DEFAULT 0,
    manual_requested   boolean NOT NULL DEFAULT false,
    next_retry_at      timestamptz,
    last_attempt_at    timestamptz,
    response_code      integer,
    last_duration_ms   integer,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_merchant_created ON webhook_deliveries (merchant_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_retry_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   text NOT NULL REFERENCES webhook_deliveries (id),
    number        integer NOT NULL,
    trigger       text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    attempted_at  timestamptz NOT NULL,
    response_code integer,
    duration_ms   integer NOT NULL,
    response_body text,
    error         text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, number);
