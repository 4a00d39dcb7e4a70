-- Up Migration

-- The kinds annex II of Regulation 1169/2011 names inside two groups: the cereal that brings the
-- gluten and the tree nut (src/lib/domain/allergen-kinds.ts says the same lists). Information on
-- top of the group: filtering stays by the 14 groups, and an ingredient with no kind named shows its
-- group alone. A kind is only ever on an ingredient that contains its group.
ALTER TABLE ingredients ADD COLUMN allergen_kinds text[] NOT NULL DEFAULT '{}'
  CHECK (allergen_kinds <@ ARRAY['wheat', 'rye', 'barley', 'oats', 'spelt', 'kamut',
    'almonds', 'hazelnuts', 'walnuts', 'cashews', 'pecans', 'brazil_nuts', 'pistachios', 'macadamia'])
  CHECK (NOT allergen_kinds && ARRAY['wheat', 'rye', 'barley', 'oats', 'spelt', 'kamut'] OR 'gluten' = ANY (allergens))
  CHECK (NOT allergen_kinds && ARRAY['almonds', 'hazelnuts', 'walnuts', 'cashews', 'pecans', 'brazil_nuts', 'pistachios', 'macadamia'] OR 'nuts' = ANY (allergens));

-- A line keeps its kinds as sold, beside its allergens (the label prints "GLUTEN (BLE)"): filled as
-- the line is written, from its recipe less what a "without" takes out, with what its options add.
ALTER TABLE order_items ADD COLUMN allergen_kinds text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION line_allergen_kinds(p_product integer, p_options jsonb, p_halves jsonb) RETURNS text[]
LANGUAGE sql STABLE AS $$
  WITH chosen AS (
    SELECT o.id, o.removes_ingredient_id FROM product_options o
     WHERE o.id IN (SELECT (e->>'id')::int FROM jsonb_array_elements(coalesce(p_options, '[]')) e)
  ), found AS (
    SELECT unnest(i.allergen_kinds) AS k FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id
     WHERE r.product_id IN (p_product, (p_halves->'right'->>'productId')::int)
       AND r.ingredient_id NOT IN (SELECT removes_ingredient_id FROM chosen WHERE removes_ingredient_id IS NOT NULL)
    UNION
    SELECT unnest(i.allergen_kinds) FROM option_ingredients oi JOIN ingredients i ON i.id = oi.ingredient_id
     WHERE oi.option_id IN (SELECT id FROM chosen)
  )
  SELECT coalesce(array_agg(k ORDER BY array_position(ARRAY['wheat', 'rye', 'barley', 'oats', 'spelt', 'kamut',
    'almonds', 'hazelnuts', 'walnuts', 'cashews', 'pecans', 'brazil_nuts', 'pistachios', 'macadamia'], k)), '{}') FROM found
$$;

CREATE OR REPLACE FUNCTION order_items_allergens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.allergens = '{}' AND NEW.product_id IS NOT NULL THEN
    NEW.allergens := line_allergens(NEW.product_id, NEW.options, NEW.halves);
  END IF;
  IF NEW.allergen_kinds = '{}' AND NEW.product_id IS NOT NULL THEN
    NEW.allergen_kinds := line_allergen_kinds(NEW.product_id, NEW.options, NEW.halves);
  END IF;
  RETURN NEW;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION order_items_allergens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.allergens = '{}' AND NEW.product_id IS NOT NULL THEN
    NEW.allergens := line_allergens(NEW.product_id, NEW.options, NEW.halves);
  END IF;
  RETURN NEW;
END $$;
DROP FUNCTION line_allergen_kinds(integer, jsonb, jsonb);
ALTER TABLE order_items DROP COLUMN allergen_kinds;
ALTER TABLE ingredients DROP COLUMN allergen_kinds;
