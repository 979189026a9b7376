CREATE TABLE merchants (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    -- HMAC-SHA256 of the API key under the gateway's secret key; the key itself is never stored.
    api_key_hash text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
