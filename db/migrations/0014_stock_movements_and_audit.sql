-- Up Migration

-- Stock goes up as well as down: a delivery received, a count at closing (the difference recorded
-- with its reason), waste and breakage. Every change of a shop's stock made by a person is one row
-- here, in the same transaction as the change, with the shelf quantity after it.
CREATE TABLE stock_movements (
  id             bigserial PRIMARY KEY,
  pizzeria_id    integer NOT NULL,
  ingredient_id  integer NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('delivery', 'count', 'waste', 'breakage')),
  -- the change of the shelf quantity (a count's difference may be negative or zero)
  quantity       integer NOT NULL,
  shelf_after    integer NOT NULL CHECK (shelf_after >= 0),
  supplier       text CHECK (length(supplier) <= 120),
  received_on    date,
  note           text CHECK (length(note) <= 300),
  by_user        integer NOT NULL REFERENCES users(id),
  at             timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (pizzeria_id, ingredient_id) REFERENCES stock (pizzeria_id, ingredient_id),
  CHECK (kind <> 'delivery' OR quantity > 0)
);
CREATE INDEX stock_movements_shop ON stock_movements (pizzeria_id, at DESC);

-- a change of a shop's stock, so every hub refreshes that shop's open menus and alerts at once
CREATE FUNCTION stock_movements_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('stock_changed', NEW.pizzeria_id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER stock_movements_notify AFTER INSERT ON stock_movements FOR EACH ROW EXECUTE FUNCTION stock_movements_notify();

-- Who changed what in the back office, and when, with the record before and after.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_id     integer REFERENCES users(id),
  actor        text NOT NULL,
  action       text NOT NULL,
  entity       text NOT NULL,
  entity_id    text NOT NULL,
  pizzeria_id  integer,
  before       jsonb,
  after        jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);

-- Down Migration

DROP TABLE audit_log;
DROP TRIGGER stock_movements_notify ON stock_movements;
DROP FUNCTION stock_movements_notify();
DROP TABLE stock_movements;
