-- Up Migration

-- A shop's kitchen stations (for instance the oven, the cold station, the pass): each product kind
-- (pizza, drink, dessert) or menu category routes to one station, and each kitchen tablet chooses
-- the station it shows. A category's route wins over its kind's; anything not routed goes to the
-- shop's first make station. The pass (at most one per shop) sees whole orders: it lights an order
-- once every make station is done, and is where "ready" and "handed over" happen. A shop without
-- stations keeps one screen for everything.
CREATE TABLE kitchen_stations (
  id            serial PRIMARY KEY,
  pizzeria_id   integer NOT NULL REFERENCES pizzerias(id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 40),
  is_pass       boolean NOT NULL DEFAULT false,
  position      integer NOT NULL DEFAULT 0,
  kinds         product_category[] NOT NULL DEFAULT '{}',
  category_ids  integer[] NOT NULL DEFAULT '{}',
  UNIQUE (pizzeria_id, name)
);
CREATE UNIQUE INDEX kitchen_stations_one_pass ON kitchen_stations (pizzeria_id) WHERE is_pass;

-- Item by item: a cook crosses off a line when it is made (a second tap un-crosses it); the line
-- keeps its menu category, as it was sold, so its station is known from the line alone.
ALTER TABLE order_items
  ADD COLUMN category_id integer REFERENCES categories(id),
  ADD COLUMN done_at timestamptz;
UPDATE order_items i SET category_id = p.category_id FROM products p WHERE p.id = i.product_id;

-- Down Migration

ALTER TABLE order_items DROP COLUMN done_at, DROP COLUMN category_id;
DROP TABLE kitchen_stations;
