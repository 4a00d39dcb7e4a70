-- Up Migration

-- The menu's sections, in the order the storefront shows them as tabs (head office names and
-- orders them). A product's `category` (pizza, drink, dessert) stays what the kitchen goes by:
-- pizzas go in the oven, are counted in the queue and have a recipe card.
CREATE TABLE categories (
  id        serial PRIMARY KEY,
  slug      text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]+$'),
  name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  name_en   text CHECK (length(name_en) BETWEEN 1 AND 60),
  position  integer NOT NULL DEFAULT 0
);
INSERT INTO categories (slug, name, name_en, position) VALUES
  ('pizzas', 'Pizzas', 'Pizzas', 1), ('boissons', 'Boissons', 'Drinks', 2), ('desserts', 'Desserts', 'Desserts', 3);
ALTER TABLE products ADD COLUMN category_id integer REFERENCES categories(id);
UPDATE products SET category_id = (SELECT id FROM categories WHERE slug = CASE category
  WHEN 'pizza' THEN 'pizzas' WHEN 'drink' THEN 'boissons' ELSE 'desserts' END);
ALTER TABLE products ALTER COLUMN category_id SET NOT NULL;
CREATE INDEX products_category ON products (category_id);

-- What a customer may choose on a product: a size (one at most), an extra topping, or leaving an
-- ingredient out. Each has its price (added to the product's) and its effect on the recipe, so on
-- stock: a size or an extra adds ingredients, a "without" takes one of the recipe's out.
CREATE TYPE option_kind AS ENUM ('size', 'extra', 'without');
CREATE TABLE product_options (
  id                     serial PRIMARY KEY,
  product_id             integer NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  kind                   option_kind NOT NULL,
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  name_en                text CHECK (length(name_en) BETWEEN 1 AND 60),
  price_cents            integer NOT NULL DEFAULT 0 CHECK (price_cents BETWEEN 0 AND 5000),
  removes_ingredient_id  integer REFERENCES ingredients(id),
  position               integer NOT NULL DEFAULT 0,
  CHECK ((kind = 'without') = (removes_ingredient_id IS NOT NULL)),
  CHECK (kind <> 'without' OR price_cents = 0)
);
CREATE INDEX product_options_product ON product_options (product_id);
CREATE TABLE option_ingredients (
  option_id      integer NOT NULL REFERENCES product_options(id) ON DELETE CASCADE,
  ingredient_id  integer NOT NULL REFERENCES ingredients(id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (option_id, ingredient_id)
);

-- The options chosen on an order's line, as they were sold (id, kind, name, name_en, price_cents):
-- the ticket and the receipt read them even if the option is changed or removed later.
ALTER TABLE order_items ADD COLUMN options jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(options) = 'array');

-- The menu's content changes (a product, an option, a category, a recipe): the number goes up in
-- the change's transaction, every open menu is told it with the availability and reads the menu
-- again (a new pizza appears, a price changes) without a reload.
CREATE TABLE menu_revision (
  id  boolean PRIMARY KEY DEFAULT true CHECK (id),
  n   bigint NOT NULL
);
INSERT INTO menu_revision VALUES (true, 1);

-- Down Migration

DROP TABLE menu_revision;
ALTER TABLE order_items DROP COLUMN options;
DROP TABLE option_ingredients;
DROP TABLE product_options;
DROP TYPE option_kind;
ALTER TABLE products DROP COLUMN category_id;
DROP TABLE categories;
