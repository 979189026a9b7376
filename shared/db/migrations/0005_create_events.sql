CREATE TABLE events (
    id          text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    type        text NOT NULL,
    -- The exact JSON bytes sent to receivers, so every retry signs and sends the same body.
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
