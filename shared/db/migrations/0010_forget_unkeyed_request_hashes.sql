-- Request fingerprints were unkeyed SHA-256 digests of whole bodies, card number and CVV included.
-- Forget them: a key reused with one of these rows now gets 422, never a second charge.
UPDATE idempotency_keys SET request_hash = 'forgotten: unkeyed digest';
