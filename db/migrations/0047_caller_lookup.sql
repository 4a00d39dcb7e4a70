-- Up Migration

-- The counter finds a caller by their phone number: their last orders, their addresses and what went
-- wrong before, from every shop of the chain (callers move between shops). phone_key is the order's
-- phone in E.164 however it was typed (e164() in src/lib/server/sms.ts), kept on every order placed
-- since 0027; older orders get it here, computed as e164() does, so they are found too (the guard
-- wants every update of an order to bump its version; this is no change of the order, so it is let
-- through for this statement only).
ALTER TABLE orders DISABLE TRIGGER orders_guard;
UPDATE orders o SET phone_key = CASE
    WHEN s.intl IS NULL AND s.digits ~ '^0[0-9]{9}$' THEN '+33' || substr(s.digits, 2)
    WHEN s.intl IS NULL THEN s.digits
    -- "+33 06…": the national 0 kept after the country code
    WHEN s.intl ~ '^\+330[0-9]{9}$' THEN '+33' || substr(s.intl, 5)
    ELSE s.intl
  END
FROM (
  SELECT id, digits,
         CASE WHEN digits LIKE '+%' THEN digits WHEN digits LIKE '00%' THEN '+' || substr(digits, 3) END AS intl
  FROM (SELECT id, regexp_replace(replace(customer_phone, '(0)', ''), '[^0-9+]', '', 'g') AS digits
        FROM orders WHERE phone_key IS NULL) d
) s
WHERE o.id = s.id;
ALTER TABLE orders ENABLE TRIGGER orders_guard;

-- every channel (orders_online_by_phone holds the online ones only), newest first
CREATE INDEX orders_by_phone ON orders (phone_key, created_at DESC);

-- Down Migration

DROP INDEX orders_by_phone;
