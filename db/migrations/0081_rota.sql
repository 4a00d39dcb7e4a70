-- Up Migration

-- The rota: the shifts a shop's manager plans for its crew (drivers, pizzaiolos, counter), one
-- person never on two shifts at once (the exclusion below backs the service's check), and the
-- clock-ins that say who actually worked when. A driver's clock-in is their "on shift" switch: the
-- trigger of 0022 that follows users.on_shift now writes it too, whatever changes it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE shifts (
  id           bigserial PRIMARY KEY,
  pizzeria_id  integer NOT NULL REFERENCES pizzerias(id),
  user_id      integer NOT NULL REFERENCES users(id),
  role         user_role NOT NULL CHECK (role IN ('driver', 'kitchen', 'counter')),
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz NOT NULL,
  created_by   integer REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '16 hours'),
  CONSTRAINT shifts_no_overlap EXCLUDE USING gist (user_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
);
CREATE INDEX shifts_shop_time ON shifts (pizzeria_id, starts_at);

CREATE TABLE clock_ins (
  id           bigserial PRIMARY KEY,
  user_id      integer NOT NULL REFERENCES users(id),
  pizzeria_id  integer NOT NULL REFERENCES pizzerias(id),
  role         user_role NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  ended_at     timestamptz,
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX clock_ins_open ON clock_ins (user_id) WHERE ended_at IS NULL;
CREATE INDEX clock_ins_shop_time ON clock_ins (pizzeria_id, started_at);

-- what an hour of each role costs the shop, employer's charges included (cents)
CREATE TABLE labour_rates (
  pizzeria_id     integer NOT NULL REFERENCES pizzerias(id),
  role            user_role NOT NULL CHECK (role IN ('driver', 'kitchen', 'counter')),
  cents_per_hour  integer NOT NULL CHECK (cents_per_hour >= 0 AND cents_per_hour <= 100000),
  PRIMARY KEY (pizzeria_id, role)
);

CREATE OR REPLACE FUNCTION track_driver_shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.on_shift AND NEW.role = 'driver' AND NEW.pizzeria_id IS NOT NULL THEN
    INSERT INTO driver_shifts (driver_id, pizzeria_id) VALUES (NEW.id, NEW.pizzeria_id) ON CONFLICT DO NOTHING;
    INSERT INTO clock_ins (user_id, pizzeria_id, role) VALUES (NEW.id, coalesce(NEW.lent_to, NEW.pizzeria_id), 'driver') ON CONFLICT DO NOTHING;
  ELSIF NOT NEW.on_shift THEN
    UPDATE driver_shifts SET ended_at = now() WHERE driver_id = NEW.id AND ended_at IS NULL;
    UPDATE clock_ins SET ended_at = now() WHERE user_id = NEW.id AND ended_at IS NULL;
  END IF;
  RETURN NEW;
END $$;

-- the drivers on shift now are clocked in
INSERT INTO clock_ins (user_id, pizzeria_id, role)
  SELECT id, coalesce(lent_to, pizzeria_id), 'driver' FROM users WHERE role = 'driver' AND on_shift AND pizzeria_id IS NOT NULL;

-- Down Migration

CREATE OR REPLACE FUNCTION track_driver_shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.on_shift AND NEW.role = 'driver' AND NEW.pizzeria_id IS NOT NULL THEN
    INSERT INTO driver_shifts (driver_id, pizzeria_id) VALUES (NEW.id, NEW.pizzeria_id) ON CONFLICT DO NOTHING;
  ELSIF NOT NEW.on_shift THEN
    UPDATE driver_shifts SET ended_at = now() WHERE driver_id = NEW.id AND ended_at IS NULL;
  END IF;
  RETURN NEW;
END $$;
DROP TABLE labour_rates;
DROP TABLE clock_ins;
DROP TABLE shifts;
