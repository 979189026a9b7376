-- The keys now live in api_keys (0011). Drop the old columns, so a key is looked up in one place only.
ALTER TABLE merchants DROP COLUMN api_key_hash, DROP COLUMN publishable_key_hash;
