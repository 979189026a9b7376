-- A publishable key may sit in a shop's page: it can only create payments and read them.
ALTER TABLE merchants ADD COLUMN publishable_key_hash text UNIQUE;
