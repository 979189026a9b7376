-- A payment or refund whose job gave up says so (and why) until a person retries it;
-- reconciliation leaves such rows alone.
ALTER TABLE payments ADD COLUMN processing_error text;
ALTER TABLE refunds ADD COLUMN processing_error text;
