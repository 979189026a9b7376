-- Every object belongs to one mode: the mode of the key that made it. A refund, an event and a
-- delivery take the mode of the object they are about. Every existing row was made with a test
-- key, so existing rows are test mode.
ALTER TABLE payments ADD COLUMN livemode boolean NOT NULL DEFAULT false;
ALTER TABLE refunds ADD COLUMN livemode boolean NOT NULL DEFAULT false;
ALTER TABLE webhook_endpoints ADD COLUMN livemode boolean NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN livemode boolean NOT NULL DEFAULT false;
ALTER TABLE webhook_deliveries ADD COLUMN livemode boolean NOT NULL DEFAULT false;
ALTER TABLE idempotency_keys ADD COLUMN livemode boolean NOT NULL DEFAULT false;
-- A payment's mode decides whether test cards work. Drop the default on payments, so a writer that
-- forgets the mode fails loudly rather than making a test-mode payment. Refunds, deliveries and
-- idempotency keys lose the default too: their mode always comes from another row.
-- Endpoints and events keep the default. Fixtures that insert them by hand get test mode, and a
-- test-mode row cannot reach live data.
ALTER TABLE payments ALTER COLUMN livemode DROP DEFAULT;
ALTER TABLE refunds ALTER COLUMN livemode DROP DEFAULT;
ALTER TABLE webhook_deliveries ALTER COLUMN livemode DROP DEFAULT;
ALTER TABLE idempotency_keys ALTER COLUMN livemode DROP DEFAULT;

-- The database keeps the modes consistent: a refund has its payment's mode, and a delivery has
-- both its event's and its endpoint's mode. So an event never reaches an endpoint of the other
-- mode. These composite keys replace the single-column ones.
ALTER TABLE payments ADD CONSTRAINT payments_id_livemode_key UNIQUE (id, livemode);
ALTER TABLE events ADD CONSTRAINT events_id_livemode_key UNIQUE (id, livemode);
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_id_livemode_key UNIQUE (id, livemode);
ALTER TABLE refunds
    DROP CONSTRAINT refunds_payment_id_fkey,
    ADD CONSTRAINT refunds_payment_mode_fkey FOREIGN KEY (payment_id, livemode) REFERENCES payments (id, livemode);
ALTER TABLE webhook_deliveries
    DROP CONSTRAINT webhook_deliveries_event_id_fkey,
    DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey,
    ADD CONSTRAINT webhook_deliveries_event_mode_fkey FOREIGN KEY (event_id, livemode) REFERENCES events (id, livemode),
    ADD CONSTRAINT webhook_deliveries_endpoint_mode_fkey
        FOREIGN KEY (endpoint_id, livemode) REFERENCES webhook_endpoints (id, livemode);

-- Idempotency keys are scoped per merchant and mode: a test request never replays a live answer.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey, ADD PRIMARY KEY (merchant_id, livemode, key);
