-- Up Migration

-- The order events' hot table, partitioned by the month of its events (UTC months): a chain's history
-- grows by some 150 million events a year at 500 shops, and the weekly housekeeping used to move
-- its old events to the archive row by row (a DELETE that leaves the hot table to vacuum). A month
-- wholly older than the archive's age now leaves the hot table whole: detached (a change of the
-- catalogue, not of rows), copied to the archive and dropped (src/lib/server/operations/maintenance.ts).
-- Everything that reads the events is unchanged: ids are still handed out in publish order (0099),
-- "events after N" reads each month's index in turn, and the archive keeps one table.
--
-- A month's table is made three months ahead by the housekeeping (order_events_months); an event of
-- a month without its table (a clock far off, a database left unmaintained for a quarter) lands in
-- order_events_default, never refused, and is archived row by row as before.
--
-- Existing events are copied once into their months' tables (a hot table holds the archive's age,
-- 90 days by default: a few million rows at most), inside this migration's transaction.

ALTER TABLE order_events RENAME TO order_events_unpartitioned;
ALTER TABLE order_events_unpartitioned RENAME CONSTRAINT order_events_pkey TO order_events_unpartitioned_pkey;
ALTER TABLE order_events_unpartitioned RENAME CONSTRAINT order_events_order_id_fkey TO order_events_unpartitioned_order_id_fkey;
ALTER INDEX order_events_order RENAME TO order_events_unpartitioned_order;
ALTER INDEX order_events_pizzeria RENAME TO order_events_unpartitioned_pizzeria;
ALTER INDEX order_events_driver RENAME TO order_events_unpartitioned_driver;
DROP TRIGGER order_events_notify ON order_events_unpartitioned;

CREATE TABLE order_events (
  id           bigint NOT NULL,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id  integer NOT NULL,
  driver_id    integer,
  type         text NOT NULL,
  actor        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- a partitioned table's key holds its partition key; ids come from one sequence, so are unique alone
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX order_events_order ON order_events (order_id, id);
CREATE INDEX order_events_pizzeria ON order_events (pizzeria_id, id);
CREATE INDEX order_events_driver ON order_events (driver_id, id) WHERE driver_id IS NOT NULL;
CREATE TABLE order_events_default PARTITION OF order_events DEFAULT;
CREATE TRIGGER order_events_notify AFTER INSERT ON order_events REFERENCING NEW TABLE AS published
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_notify();

-- The months' tables from `first` to `last` (the months holding those dates) that do not exist yet,
-- made; events of those months waiting in the default table move into them. As the table's owner:
-- the product's role (0091) may not create tables. Returns how many were made.
CREATE FUNCTION order_events_add_months(first date, last date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  m date := date_trunc('month', first)::date;
  upto date := date_trunc('month', last)::date;
  made integer := 0;
  part text;
  lo timestamptz;
  hi timestamptz;
BEGIN
  WHILE m <= upto LOOP
    part := 'order_events_' || to_char(m, 'YYYY_MM');
    lo := m::timestamp AT TIME ZONE 'UTC';
    hi := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    IF to_regclass(part) IS NULL THEN
      -- the default table may hold no event of the new month's range: they move with it
      CREATE TEMP TABLE order_events_moving ON COMMIT DROP AS
        WITH moved AS (DELETE FROM order_events_default WHERE created_at >= lo AND created_at < hi RETURNING *) SELECT * FROM moved;
      EXECUTE format('CREATE TABLE %I PARTITION OF order_events FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
      INSERT INTO order_events SELECT * FROM order_events_moving;
      DROP TABLE order_events_moving;
      made := made + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$;

-- The months' tables wholly older than `before` whose every event has an id under `below` (the
-- archive takes a prefix of ids: maintenance.ts), detached from the hot table and renamed
-- order_events_detached_YYYY_MM, in the caller's transaction. Returns their names.
CREATE FUNCTION order_events_detach_months(before timestamptz, below bigint) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part text;
  month date;
  newest bigint;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'order_events'::regclass AND c.relname ~ '^order_events_[0-9]{4}_[0-9]{2}$' ORDER BY c.relname
  LOOP
    month := to_date(substr(part, 14), 'YYYY_MM');
    CONTINUE WHEN (month + interval '1 month')::timestamp AT TIME ZONE 'UTC' > before;
    EXECUTE format('SELECT max(id) FROM %I', part) INTO newest;
    CONTINUE WHEN newest IS NOT NULL AND newest >= below;
    EXECUTE format('ALTER TABLE order_events DETACH PARTITION %I', part);
    EXECUTE format('ALTER TABLE %I RENAME TO %I', part, 'order_events_detached_' || substr(part, 14));
    RETURN NEXT 'order_events_detached_' || substr(part, 14);
  END LOOP;
END $$;

-- A detached month's events copied into the archive, and its table dropped. Returns how many were copied.
CREATE FUNCTION order_events_archive_detached(detached text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  copied integer;
BEGIN
  IF detached !~ '^order_events_detached_[0-9]{4}_[0-9]{2}$' OR to_regclass(detached) IS NULL THEN
    RAISE EXCEPTION 'no detached month of order events named %', detached;
  END IF;
  EXECUTE format('INSERT INTO order_events_archive (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
                  SELECT id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at FROM %I ON CONFLICT (id) DO NOTHING', detached);
  GET DIAGNOSTICS copied = ROW_COUNT;
  EXECUTE format('DROP TABLE %I', detached);
  RETURN copied;
END $$;

-- this month and the next two, and the months of the events already there
SELECT order_events_add_months(
  least(coalesce((SELECT min(created_at) FROM order_events_unpartitioned), now()), now())::date,
  (now() + interval '2 months')::date);
INSERT INTO order_events (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
  SELECT id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at FROM order_events_unpartitioned;
DROP TABLE order_events_unpartitioned;

-- Down Migration

DROP FUNCTION order_events_archive_detached(text);
DROP FUNCTION order_events_detach_months(timestamptz, bigint);
DROP FUNCTION order_events_add_months(date, date);
ALTER TABLE order_events RENAME TO order_events_by_month;
DROP TRIGGER order_events_notify ON order_events_by_month;
CREATE TABLE order_events (
  id           bigint PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id  integer NOT NULL,
  driver_id    integer,
  type         text NOT NULL,
  actor        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO order_events SELECT id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at FROM order_events_by_month;
DROP TABLE order_events_by_month;
CREATE INDEX order_events_order ON order_events (order_id, id);
CREATE INDEX order_events_pizzeria ON order_events (pizzeria_id, id);
CREATE INDEX order_events_driver ON order_events (driver_id, id) WHERE driver_id IS NOT NULL;
CREATE TRIGGER order_events_notify AFTER INSERT ON order_events REFERENCING NEW TABLE AS published
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_notify();
