-- Up Migration

-- What a shop pays its drivers (src/lib/domain/driver-pay.ts): so much per hour on shift (their
-- clock-ins), per delivery and per kilometre driven (from the delivery trail), any mix, zeros
-- allowed. A rule holds from its business day (Paris) on, until the shop's next one: a shift is paid
-- by the rule in force on the day it started, so changing the rule never rewrites past pay. Setting
-- the rule again for the same day replaces that day's; a day already past cannot be set.
CREATE TABLE driver_pay_rules (
  pizzeria_id         integer NOT NULL REFERENCES pizzerias(id),
  valid_from          date NOT NULL,
  cents_per_hour      integer NOT NULL DEFAULT 0 CHECK (cents_per_hour BETWEEN 0 AND 10000),
  cents_per_delivery  integer NOT NULL DEFAULT 0 CHECK (cents_per_delivery BETWEEN 0 AND 5000),
  cents_per_km        integer NOT NULL DEFAULT 0 CHECK (cents_per_km BETWEEN 0 AND 1000),
  set_by              integer REFERENCES users(id),
  set_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pizzeria_id, valid_from)
);

-- the kilometres of a driver's period read their trail by driver and time
CREATE INDEX delivery_trail_driver_time ON delivery_trail (driver_id, at);

-- Down Migration

DROP INDEX delivery_trail_driver_time;
DROP TABLE driver_pay_rules;
