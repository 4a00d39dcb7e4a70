-- Up Migration

-- An online order carries its email as the limits count it (contactEmail in
-- src/lib/domain/unpaid-holds.ts: trimmed, lower-cased, without a +tag), written when it is placed,
-- as its phone is (phone_key).
--
-- The limit on orders per email in the hour compared a regular expression of every online order's
-- email with the new order's: no index matched that expression, so every placement with an email
-- read every online order of the hour and ran the expression on each. It is now an index lookup.
ALTER TABLE orders ADD COLUMN email_key text;

-- the orders already placed: keyed once, here, as contactEmail keys them (the guard wants every
-- update of an order to bump its version; this is no change of the order, so it is let through for
-- this statement only)
ALTER TABLE orders DISABLE TRIGGER orders_guard;
UPDATE orders SET email_key = regexp_replace(lower(btrim(customer_email)), '\+[^@]*(@[^@]*)$', '\1')
WHERE customer_email IS NOT NULL;
ALTER TABLE orders ENABLE TRIGGER orders_guard;

CREATE INDEX orders_online_by_email_key ON orders (email_key, created_at) WHERE channel = 'online' AND email_key IS NOT NULL;
DROP INDEX orders_online_by_email;

-- Down Migration

CREATE INDEX orders_online_by_email ON orders (lower(customer_email), created_at) WHERE channel = 'online' AND customer_email IS NOT NULL;
DROP INDEX orders_online_by_email_key;
ALTER TABLE orders DROP COLUMN email_key;
