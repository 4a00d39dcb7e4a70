-- Up Migration

-- A publish commits without waiting for its WAL flush (synchronous_commit off for its own
-- transaction, which is the one statement `SELECT … FROM publish_order_events(n)`).
--
-- In a rush every move was two flushes in a row: its own commit, then the publish's, which also held
-- the publishing lock and the database's NOTIFY lock until its flush was on disk, so every other
-- publish queued behind it. A publish writes nothing that is not already durable elsewhere: it moves
-- rows from the inbox (committed, flushed, by their writers) to order_events. Its commit is visible
-- at once, in commit order, like any other; what could go is only the publish itself, and only if
-- Postgres itself stops within the WAL writer's delay (wal_writer_delay, 200 ms by default) with no
-- other commit flushed meanwhile (any later synchronous commit, a move or a reactor's cursor,
-- flushes it along: the WAL is one sequence). Then the inbox rows are still there and are published
-- again after the restart; a screen that had them already gets the same order versions once more and
-- keeps them once (a screen keeps an order's newest version); the workers react again, harmlessly as
-- after any crash of theirs between a reaction and its save (job ids, claims per order and step, a
-- dispatch that finds its order already offered or given does nothing).
CREATE OR REPLACE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, event_type text, event_at timestamptz, event_payload jsonb, inbox_seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
  -- this publish's commit does not wait for the WAL flush (see above); it must run on its own
  PERFORM set_config('synchronous_commit', 'off', true);
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

-- Down Migration

CREATE OR REPLACE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
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
