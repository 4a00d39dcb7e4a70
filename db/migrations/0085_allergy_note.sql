-- Up Migration

-- An order's allergy note: the customer's (or the caller's, said to the counter) allergies among
-- the EU's 14 (Regulation 1169/2011, annex II) and a few words of their own. Food safety, not
-- contact data: the kitchen and the driver read it (src/lib/realtime/audiences.ts).
ALTER TABLE orders
  ADD COLUMN allergy_allergens text[] NOT NULL DEFAULT '{}'
    CHECK (allergy_allergens <@ ARRAY['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs']),
  ADD COLUMN allergy_note text CHECK (length(allergy_note) BETWEEN 1 AND 200),
  -- the kitchen read it (a tap on the ticket), and who
  ADD COLUMN allergy_read_at timestamptz,
  ADD COLUMN allergy_read_by integer REFERENCES users(id),
  -- the shop wanted it read before the order is started (its setting when the order was placed)
  ADD COLUMN allergy_read_first boolean NOT NULL DEFAULT false;

-- A shop's setting: the kitchen taps "Allergie lue" on an order with an allergy note before it may start it.
ALTER TABLE pizzerias ADD COLUMN allergy_read_first boolean NOT NULL DEFAULT false;

-- Down Migration

ALTER TABLE pizzerias DROP COLUMN allergy_read_first;
ALTER TABLE orders DROP COLUMN allergy_read_first, DROP COLUMN allergy_read_by, DROP COLUMN allergy_read_at, DROP COLUMN allergy_note, DROP COLUMN allergy_allergens;
