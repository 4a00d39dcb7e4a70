-- Up Migration

-- The EU allergens of what is actually in an order's line, as it was sold (the label, the ticket and
-- the kitchen read them even if a recipe changes later): its recipe (both halves of a half-and-half)
-- less the ingredients a "without" takes out, with what its size and extras add
-- (src/lib/domain/line-allergens.ts says the same rule for the storefront). Filled as the line is
-- written, whatever writes it (an order placed, a line added by the counter, a platform's order).
ALTER TABLE order_items ADD COLUMN allergens text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION line_allergens(p_product integer, p_options jsonb, p_halves jsonb) RETURNS text[]
LANGUAGE sql STABLE AS $$
  WITH chosen AS (
    SELECT o.id, o.removes_ingredient_id FROM product_options o
     WHERE o.id IN (SELECT (e->>'id')::int FROM jsonb_array_elements(coalesce(p_options, '[]')) e)
  ), found AS (
    SELECT unnest(i.allergens) AS a FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id
     WHERE r.product_id IN (p_product, (p_halves->'right'->>'productId')::int)
       AND r.ingredient_id NOT IN (SELECT removes_ingredient_id FROM chosen WHERE removes_ingredient_id IS NOT NULL)
    UNION
    SELECT unnest(i.allergens) FROM option_ingredients oi JOIN ingredients i ON i.id = oi.ingredient_id
     WHERE oi.option_id IN (SELECT id FROM chosen)
  )
  -- in annex II's order, each once (UNION keeps one of each)
  SELECT coalesce(array_agg(a ORDER BY array_position(ARRAY['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts',
    'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'], a)), '{}') FROM found
$$;

CREATE FUNCTION order_items_allergens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.allergens = '{}' AND NEW.product_id IS NOT NULL THEN
    NEW.allergens := line_allergens(NEW.product_id, NEW.options, NEW.halves);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER order_items_allergens BEFORE INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION order_items_allergens();

-- Down Migration

DROP TRIGGER order_items_allergens ON order_items;
DROP FUNCTION order_items_allergens();
DROP FUNCTION line_allergens(integer, jsonb, jsonb);
ALTER TABLE order_items DROP COLUMN allergens;
