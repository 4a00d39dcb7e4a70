-- Up Migration

-- When the shop's plan first expected an order late, and by how much: the managers' alert, raised
-- once per order by the workers' reading of the plans (src/lib/server/kitchen/delays.ts), before the
-- customer is told. Never cleared: the alert ends with the order (handed over or cancelled).
ALTER TABLE orders ADD COLUMN late_expected_at timestamptz;
ALTER TABLE orders ADD COLUMN late_expected_minutes integer CHECK (late_expected_minutes >= 0);

-- Down Migration

ALTER TABLE orders DROP COLUMN late_expected_minutes;
ALTER TABLE orders DROP COLUMN late_expected_at;
