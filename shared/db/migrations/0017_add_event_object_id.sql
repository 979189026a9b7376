-- GET /events filters on the object an event is about (a payment, refund or endpoint id) and lists
-- a merchant's events by mode, newest first; the retention purge finds the oldest across merchants.
-- Existing rows take their object from the body: the first object with an id under "data"
-- (data.payment, data.refund, ...), else data.endpoint_id (webhook.test).
ALTER TABLE events ADD COLUMN object_id text;
UPDATE events SET object_id = COALESCE(
    (SELECT value ->> 'id' FROM jsonb_each(body::jsonb -> 'data')
     WHERE jsonb_typeof(value) = 'object' AND value ? 'id' LIMIT 1),
    body::jsonb #>> '{data,endpoint_id}'
);
CREATE INDEX events_merchant_mode_created ON events (merchant_id, livemode, created_at DESC, id DESC);
CREATE INDEX events_object ON events (object_id, created_at DESC) WHERE object_id IS NOT NULL;
CREATE INDEX events_created ON events (created_at);
-- The purge looks deliveries up by event (the unique key leads with event_id) and clears old
-- attempts' response bodies oldest first.
CREATE INDEX webhook_attempts_body_attempted ON webhook_attempts (attempted_at) WHERE response_body IS NOT NULL;
