-- Up Migration

-- Publishing without a chain-wide lock. Order matters within an order and within a shop, never
-- across the chain: each shop belongs to one of 16 event partitions (its id modulo 16: shop ids are
-- handed out in turn, so a modulo spreads them evenly, and the workers work it out the same way),
-- and a publish takes the locks of the partitions it moves events of, not one lock for the chain.
-- Two publishes of different shops' partitions run side by side, each waiting for its own flush.
--
-- What stays true:
-- * Within a partition, publishes still run one at a time, and ids still come from one sequence: a
--   partition's (so a shop's, an order's) ids follow the order its events committed in. A reader of
--   one shop's or one order's "events after N", or of one partition's, never skips one.
-- * Across partitions, an id can now commit after a higher one (two partitions' publishes overlap).
--   A reader of every shop's events (the hubs' relay, the fiscal journal) reads up to the settled
--   id (order_events_settled): every id at or below it has committed or never will. It reads the
--   sequence, then waits for the publishes under way at that moment (a shared take of each
--   partition's lock): a publish takes its lock before its ids, so any id at or below the value
--   read belongs to a publish that was already under way.
-- * A page's snapshot still reads max(id) in its REPEATABLE READ transaction: an id below it that
--   is not in the snapshot was given before that max one committed, by a publish that had already
--   read its inbox rows, so the order's change behind it had committed before the snapshot: the
--   screen has that change, and drops the event when it comes (its id is below the screen's).
--
-- The event reactor keeps a place per partition (event_cursors 'workers:0' … 'workers:15'),
-- started here from the single place it had ('workers').

-- How many partitions; changing it regroups the shops, so it is a migration, with every process stopped.
CREATE FUNCTION order_event_parts() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 16';
-- A shop's partition (workers/event-partitions.ts works it out the same way).
CREATE FUNCTION order_event_part(shop integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  'SELECT mod(mod(shop, 16) + 16, 16)';

-- one partition's events in id order (the reactor's reads)
CREATE INDEX order_events_part ON order_events (order_event_part(pizzeria_id), id);

-- Moves up to `max_events` committed inbox rows, oldest first, into order_events with the next
-- public ids, under the locks of their shops' partitions (taken in ascending order: two publishes
-- never wait for each other in a circle), and returns them as published.
--
-- The partitions are those of the inbox rows no other publish is moving now: rows another publish
-- is deleting are skipped (SKIP LOCKED), so a publish does not wait for a partition whose rows are
-- already on their way. The look takes row locks, let go at once (the block's subtransaction is
-- rolled back; the variable keeps what it read): holding them, two publishes could wait for each
-- other, one for a row, the other for a partition. Under its partitions' locks, the move takes
-- every committed row of them, so a partition's rows keep the order they had in the inbox.
CREATE OR REPLACE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, event_type text, event_at timestamptz, event_payload jsonb, inbox_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
  parts integer[];
  p integer;
BEGIN
  BEGIN
    SELECT array_agg(DISTINCT order_event_part(i.pizzeria_id)) INTO parts
    FROM (SELECT pizzeria_id FROM order_event_inbox ORDER BY seq LIMIT max_events FOR UPDATE SKIP LOCKED) i;
    RAISE SQLSTATE 'OC114';
  EXCEPTION WHEN SQLSTATE 'OC114' THEN
    NULL;
  END;
  IF parts IS NULL THEN
    RETURN;
  END IF;
  FOREACH p IN ARRAY parts LOOP
    PERFORM pg_advisory_xact_lock(7242001, p);
  END LOOP;
  -- each statement takes a new snapshot: the move sees every row of these partitions committed
  -- before their locks were granted (rows of other partitions wait for their own publish)
  RETURN QUERY
  WITH moved AS (
    DELETE FROM order_event_inbox
    WHERE seq = ANY(ARRAY(SELECT seq FROM order_event_inbox WHERE order_event_part(pizzeria_id) = ANY(parts) ORDER BY seq LIMIT max_events))
    RETURNING *
  ), given AS (
    -- nextval is evaluated after the sort, so ids follow the inbox order
    INSERT INTO order_events (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
    SELECT nextval('order_events_id_seq'), order_id, pizzeria_id, driver_id, type, actor, payload, created_at
    FROM moved ORDER BY seq
    RETURNING id, type, created_at, payload
  )
  SELECT g.id, g.type, g.created_at, g.payload, m.seq
  FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM given) g
  JOIN (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM moved) m USING (n)
  ORDER BY g.id;
END $$;

-- The settled id: every event id at or below it has committed (or never will). Waits for the
-- publishes under way (a few milliseconds: a publish is one statement and its commit). Call it in
-- a statement of its own, outside any long transaction: the shared locks are held to its end.
CREATE FUNCTION order_events_settled() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  upto bigint;
  p integer;
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO upto FROM order_events_id_seq;
  FOR p IN 0 .. order_event_parts() - 1 LOOP
    PERFORM pg_advisory_xact_lock_shared(7242001, p);
  END LOOP;
  RETURN upto;
END $$;

-- Every shop's events after `after` up to the settled id, oldest first, at most `max_events`: the
-- read runs in a statement after the wait, so it sees everything that settled.
CREATE FUNCTION order_events_after(after bigint, max_events integer)
RETURNS TABLE (id bigint, type text, created_at timestamptz, payload jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  upto bigint := order_events_settled();
BEGIN
  RETURN QUERY SELECT e.id, e.type, e.created_at, e.payload FROM order_events e
    WHERE e.id > after AND e.id <= upto ORDER BY e.id LIMIT max_events;
END $$;

INSERT INTO event_cursors (name, last_event_id)
  SELECT 'workers:' || p, coalesce((SELECT last_event_id FROM event_cursors WHERE name = 'workers'), 0)
  FROM generate_series(0, 15) p
ON CONFLICT (name) DO NOTHING;
DELETE FROM event_cursors WHERE name = 'workers';

-- Down Migration

INSERT INTO event_cursors (name, last_event_id)
  SELECT 'workers', coalesce(min(last_event_id), 0) FROM event_cursors WHERE name LIKE 'workers:%'
ON CONFLICT (name) DO NOTHING;
DELETE FROM event_cursors WHERE name LIKE 'workers:%';
DROP FUNCTION order_events_after(bigint, integer);
DROP FUNCTION order_events_settled();
CREATE OR REPLACE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, event_type text, event_at timestamptz, event_payload jsonb, inbox_seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7242001);
  RETURN QUERY
  WITH moved AS (
    DELETE FROM order_event_inbox
    WHERE seq = ANY(ARRAY(SELECT seq FROM order_event_inbox ORDER BY seq LIMIT max_events))
    RETURNING *
  ), given AS (
    INSERT INTO order_events (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
    SELECT nextval('order_events_id_seq'), order_id, pizzeria_id, driver_id, type, actor, payload, created_at
    FROM moved ORDER BY seq
    RETURNING id, type, created_at, payload
  )
  SELECT g.id, g.type, g.created_at, g.payload, m.seq
  FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM given) g
  JOIN (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM moved) m USING (n)
  ORDER BY g.id;
END $$;
DROP INDEX order_events_part;
DROP FUNCTION order_event_part(integer);
DROP FUNCTION order_event_parts();
