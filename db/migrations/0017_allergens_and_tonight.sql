-- Up Migration

-- The EU's 14 allergens (Regulation 1169/2011, Annex II) each ingredient contains; a product's
-- allergens follow from its recipe.
ALTER TABLE ingredients ADD COLUMN allergens text[] NOT NULL DEFAULT '{}'
  CHECK (allergens <@ ARRAY['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs']);

-- (the demo chain's are in db/catalogue.ts: the seed, which `npm run up` runs, sets them)

-- A shop takes a product off its menu for the evening (the oven for calzones is down, the burrata
-- did not look right): until the end of the business day.
CREATE TABLE product_unavailable (
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id),
  product_id    integer NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  business_day  date NOT NULL,
  by_user       integer NOT NULL REFERENCES users(id),
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pizzeria_id, product_id, business_day)
);

-- Down Migration

DROP TABLE product_unavailable;
ALTER TABLE ingredients DROP COLUMN allergens;
