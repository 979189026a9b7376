-- The job status counts a merchant's refunds per mode; payments and deliveries have such indexes.
CREATE INDEX refunds_merchant_mode ON refunds (merchant_id, livemode);
