-- Up Migration

-- A platform's item as each shop's orders named it, and that shop's own mapping of it. The mapping
-- kept on marketplace_items stays the chain's (head office's, and every mapping made before this
-- one): valid for every shop that has none of its own. A shop's manager sees and maps only what
-- its own shop's orders named (src/lib/server/marketplaces/mapping.ts).
CREATE TABLE marketplace_item_shops (
  marketplace  text NOT NULL,
  external_id  text NOT NULL,
  pizzeria_id  integer NOT NULL REFERENCES pizzerias(id),
  -- when an order of this shop first named it
  first_seen   timestamptz NOT NULL DEFAULT now(),
  product_id   integer REFERENCES products(id),
  option_id    integer REFERENCES product_options(id),
  mapped_at    timestamptz,
  mapped_by    text,
  PRIMARY KEY (marketplace, external_id, pizzeria_id),
  FOREIGN KEY (marketplace, external_id) REFERENCES marketplace_items (marketplace, external_id),
  CHECK (product_id IS NULL OR option_id IS NULL)
);
CREATE INDEX marketplace_item_shops_by_shop ON marketplace_item_shops (pizzeria_id, marketplace);

-- the shops whose platform orders named each item already kept
INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id, first_seen)
SELECT DISTINCT ON (i.marketplace, i.external_id, m.pizzeria_id) i.marketplace, i.external_id, m.pizzeria_id, i.first_seen
FROM marketplace_items i
JOIN marketplace_orders m ON m.marketplace = i.marketplace
  AND (jsonb_path_exists(m.payload, '$.lines[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id))
    OR jsonb_path_exists(m.payload, '$.lines[*].options[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id)));

-- Down Migration
DROP TABLE marketplace_item_shops;
