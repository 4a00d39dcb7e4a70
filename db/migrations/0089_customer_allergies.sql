-- Up Migration

-- A regular's allergies, remembered on their account to fill in their orders' allergy note. Health
-- data (RGPD art. 9): kept only with their explicit consent, given on their account page or at
-- checkout, and when (consented_at); erased at once when they erase them or withdraw it, and with
-- their account (ON DELETE CASCADE). Never copied into the audit log or the logs.
CREATE TABLE customer_allergies (
  customer_id   bigint PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
  allergens     text[] NOT NULL DEFAULT '{}'
    CHECK (allergens <@ ARRAY['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs']),
  note          text CHECK (char_length(note) BETWEEN 1 AND 200),
  consented_at  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- nothing to remember is no row at all
  CHECK (allergens <> '{}' OR note IS NOT NULL)
);

-- Down Migration

DROP TABLE customer_allergies;
