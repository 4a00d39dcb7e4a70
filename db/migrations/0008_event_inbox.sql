-- Up Migration

-- Order changes no longer queue behind each other to append their events.
--
-- Before: every transaction drew its event id under one advisory lock held until it committed, so
-- ids followed commit order, at the price of serialising every write in the chain behind the
-- slowest commit.
--
-- Now: a transaction writes its event to order_event_inbox, with no lock and no public id. A
-- publisher (each hub and the workers run one) moves what has committed from the inbox into
-- order_events and gives it its public id there, under a lock held only for that move. Publishes
-- run one at a time, and each sees every inbox row committed before it began; so public ids are
-- handed out in the order the publishes commit, and a reader of "id > N" never skips an event that
-- commits later. Two changes of one order commit one after the other (the order's row lock), so
-- their inbox rows, and then their public ids, keep that order.

CREATE TABLE order_event_inbox (
  seq          bigserial PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  pizzeria_id  integer NOT NULL,
  driver_id    integer,
  type         text NOT NULL,
  actor        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- a queue table: rows live for milliseconds, so vacuum it by a fixed count of dead rows, not a share
ALTER TABLE order_event_inbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);

-- "something to publish", once per statement, with the newest inbox row it wrote: a hub that has
-- already published that row (the API asked it to, before answering) has nothing to do
CREATE FUNCTION order_event_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_event_inbox', (SELECT max(seq)::text FROM written));
  RETURN NULL;
END $$;
CREATE TRIGGER order_event_inbox_notify AFTER INSERT ON order_event_inbox REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION order_event_inbox_notify();

-- Moves up to `max_events` committed inbox rows, oldest first, into order_events with the next
-- public ids, and returns them as published (so the hub that publishes needs no second read).
-- Each statement of a plpgsql function takes a new snapshot (READ COMMITTED), so the move sees
-- every row committed before the lock was granted, including what the previous publisher left.
CREATE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, event_type text, event_at timestamptz, event_payload jsonb, inbox_seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7242001);
  RETURN QUERY
  WITH moved AS (
    -- "= ANY(ARRAY(...))": an index scan of the oldest rows, whatever the table's stale statistics say
    DELETE FROM order_event_inbox
    WHERE seq = ANY(ARRAY(SELECT seq FROM order_event_inbox ORDER BY seq LIMIT max_events))
    RETURNING *
  ), given AS (
    -- nextval is evaluated after the sort, so ids follow the inbox order
    INSERT INTO order_events (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
    SELECT nextval('order_events_id_seq'), order_id, pizzeria_id, driver_id, type, actor, payload, created_at
    FROM moved ORDER BY seq
    RETURNING id, type, created_at, payload
  )
  -- ids follow the inbox order, so the nth event published is the nth row moved
  SELECT g.id, g.type, g.created_at, g.payload, m.seq
  FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM given) g
  JOIN (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM moved) m USING (n)
  ORDER BY g.id;
END $$;

-- one notification per publish, not one per event, saying the newest id: a follower already past it reads nothing
DROP TRIGGER order_events_notify ON order_events;
DROP FUNCTION order_events_notify();
CREATE FUNCTION order_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_events', (SELECT max(id)::text FROM published));
  RETURN NULL;
END $$;
CREATE TRIGGER order_events_notify AFTER INSERT ON order_events REFERENCING NEW TABLE AS published
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_notify();
