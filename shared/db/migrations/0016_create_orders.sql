-- Orders: the amount and currency a merchant's server fixes before checkout, paid at most once.
-- `receipt` is the merchant's own reference (its order number); payments may name an order by its
-- id or by a receipt, which then means the newest order with it.
CREATE TABLE orders (
    id           text PRIMARY KEY,
    merchant_id  text NOT NULL REFERENCES merchants (id),
    livemode     boolean NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL,
    receipt      text,
    notes        jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'attempted', 'paid')),
    attempts     integer NOT NULL DEFAULT 0,
    paid_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, livemode)
);
CREATE INDEX orders_merchant_mode_created ON orders (merchant_id, livemode, created_at DESC, id DESC);
CREATE INDEX orders_receipt ON orders (merchant_id, livemode, receipt, created_at DESC) WHERE receipt IS NOT NULL;

-- The order a payment is for, when its order_id named one; in the payment's mode.
ALTER TABLE payments ADD COLUMN order_ref text;
ALTER TABLE payments ADD CONSTRAINT payments_order_mode_fkey FOREIGN KEY (order_ref, livemode) REFERENCES orders (id, livemode);
CREATE INDEX payments_order_ref ON payments (order_ref, created_at DESC) WHERE order_ref IS NOT NULL;
