-- Up Migration

-- A publish commits like any other write: it waits for the synchronous standby (the cluster's own
-- synchronous_commit). Migration 0030 let it commit without waiting for its flush, to spare a rush a
-- second flush per move; but the relay shows an event to screens as soon as its publish commits, so
-- a leader lost before its standby had the publish left screens holding event ids the new leader
-- never had (the same rows published again from the inbox under other ids). Nothing is shown that a
-- failover can take back: the publish is on the standby before any screen sees it. Publishes batch
-- (up to max_events rows a call), so a rush pays one flush per batch, not per move.
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

-- Down Migration

CREATE OR REPLACE FUNCTION publish_order_events(max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, event_type text, event_at timestamptz, event_payload jsonb, inbox_seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
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
