-- Up Migration

-- An order joins a customer's account only on proof: placed while they were signed in, or confirmed
-- by them from their account with the order's number (sent with every message about it, to its
-- contact, at the time). A guest order is never joined by its contact alone any more: anyone can type
-- anyone's phone or email, and a number changes hands. joined_by says which proof it was; only orders
-- placed signed in fill the account (saved addresses, the checkout's contacts).
ALTER TABLE customer_orders ADD COLUMN joined_by text NOT NULL DEFAULT 'signed_in'
  CHECK (joined_by IN ('signed_in', 'confirmed'));

-- Wrong numbers given to confirm an order, per customer and order: past a few, that order is no
-- longer offered to that customer (the number of the day is small: it must not be guessed).
CREATE TABLE customer_order_claims (
  customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  wrong        smallint NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, order_id)
);

-- Guest orders joined at sign-in by their contact alone: an order placed before its customer existed
-- can only have joined that way. They go back to being offered for confirmation, and the saved
-- addresses that came from them only (no order of the account left delivered there) are forgotten.
DELETE FROM customer_orders co USING customers c, orders o
WHERE c.id = co.customer_id AND o.id = co.order_id AND o.created_at < c.created_at;
DELETE FROM customer_addresses a
WHERE NOT EXISTS (
  SELECT 1 FROM customer_orders co JOIN orders o ON o.id = co.order_id
  WHERE co.customer_id = a.customer_id AND o.address_street = a.street AND o.address_postcode = a.postcode
);

-- Overseas departments' numbers typed nationally ("0690…") were kept as +33 690…: their E.164 form
-- is under their own country code (canonicalPhone, src/lib/domain/phone.ts), so one number is one
-- key whichever way it is typed. (As in 0047: no change of the order, let through the guard.)
CREATE TEMPORARY TABLE overseas_0056 (prefix text PRIMARY KEY, cc text NOT NULL);
INSERT INTO overseas_0056 VALUES ('590', '590'), ('690', '590'), ('691', '590'), ('594', '594'), ('694', '594'),
  ('596', '596'), ('696', '596'), ('697', '596'), ('262', '262'), ('692', '262'), ('693', '262'), ('269', '262'), ('639', '262');
ALTER TABLE orders DISABLE TRIGGER orders_guard;
UPDATE orders o SET phone_key = '+' || v.cc || substr(o.phone_key, 4)
FROM overseas_0056 v WHERE o.phone_key ~ '^\+33[0-9]{9}$' AND substr(o.phone_key, 4, 3) = v.prefix;
ALTER TABLE orders ENABLE TRIGGER orders_guard;
UPDATE promo_redemptions r SET phone_key = '+' || v.cc || substr(r.phone_key, 4)
FROM overseas_0056 v WHERE r.phone_key ~ '^\+33[0-9]{9}$' AND substr(r.phone_key, 4, 3) = v.prefix;
-- an account proved under both spellings keeps the one it has
UPDATE customers c SET phone = '+' || v.cc || substr(c.phone, 4)
FROM overseas_0056 v WHERE c.phone ~ '^\+33[0-9]{9}$' AND substr(c.phone, 4, 3) = v.prefix
  AND NOT EXISTS (SELECT 1 FROM customers d WHERE d.phone = '+' || v.cc || substr(c.phone, 4));
DROP TABLE overseas_0056;

-- Down Migration

-- (the joins undone and the keys rewritten above are not put back: they were unproved)
DROP TABLE customer_order_claims;
ALTER TABLE customer_orders DROP COLUMN joined_by;
