-- Up Migration

-- A driver's shift, from going on shift to going off it: what they collected at the door in that
-- time (cash, card) is what they must hand in. The driver declares what they have; the manager
-- counts the cash and closes the shift, the difference recorded. The rows follow users.on_shift
-- (a trigger), whatever changes it: the driver's switch, an account disabled.
CREATE TABLE driver_shifts (
  id                   bigserial PRIMARY KEY,
  driver_id            integer NOT NULL REFERENCES users(id),
  pizzeria_id          integer NOT NULL REFERENCES pizzerias(id),
  started_at           timestamptz NOT NULL DEFAULT now(),
  ended_at             timestamptz,
  declared_cash_cents  integer CHECK (declared_cash_cents >= 0),
  declared_card_cents  integer CHECK (declared_card_cents >= 0),
  declared_at          timestamptz,
  -- what the deliveries of the shift say was collected, fixed when the manager closes it
  expected_cash_cents  integer,
  expected_card_cents  integer,
  counted_cash_cents   integer CHECK (counted_cash_cents >= 0),
  difference_cents     integer,
  note                 text CHECK (length(note) <= 300),
  closed_by            integer REFERENCES users(id),
  closed_at            timestamptz,
  CHECK (closed_at IS NULL OR ended_at IS NOT NULL)
);
CREATE UNIQUE INDEX driver_shifts_open ON driver_shifts (driver_id) WHERE ended_at IS NULL;
CREATE INDEX driver_shifts_shop ON driver_shifts (pizzeria_id, started_at);

CREATE FUNCTION track_driver_shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.on_shift AND NEW.role = 'driver' AND NEW.pizzeria_id IS NOT NULL THEN
    INSERT INTO driver_shifts (driver_id, pizzeria_id) VALUES (NEW.id, NEW.pizzeria_id) ON CONFLICT DO NOTHING;
  ELSIF NOT NEW.on_shift THEN
    UPDATE driver_shifts SET ended_at = now() WHERE driver_id = NEW.id AND ended_at IS NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER users_shift AFTER UPDATE OF on_shift ON users
  FOR EACH ROW WHEN (OLD.on_shift IS DISTINCT FROM NEW.on_shift) EXECUTE FUNCTION track_driver_shift();

-- the drivers on shift now
INSERT INTO driver_shifts (driver_id, pizzeria_id) SELECT id, pizzeria_id FROM users WHERE role = 'driver' AND on_shift AND pizzeria_id IS NOT NULL;

-- Down Migration

DROP TRIGGER users_shift ON users;
DROP FUNCTION track_driver_shift();
DROP TABLE driver_shifts;
