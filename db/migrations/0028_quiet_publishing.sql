-- Up Migration

-- A transaction that sends a NOTIFY takes one lock for the whole database at its commit and holds
-- it until the commit is on disk: notifying transactions commit one at a time, each waiting for the
-- flush of the one before. So a notification is sent only where someone needs it.
--
-- An inbox row says whether its writer wants the publishers woken (`announce`). The API writes its
-- changes unannounced when the hub of its own process publishes them right after the commit, before
-- answering; the workers sweep whatever an unannounced writer left behind (a process that stopped
-- between its commit and its publish). Everything else announces, as before.
ALTER TABLE order_event_inbox ADD COLUMN announce boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION order_event_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE newest bigint := (SELECT max(seq) FROM written WHERE announce);
BEGIN
  -- a statement that wrote nothing (a move that lost its race), or only unannounced rows: no notification
  IF newest IS NOT NULL THEN
    PERFORM pg_notify('order_event_inbox', newest::text);
  END IF;
  RETURN NULL;
END $$;

-- a publish that found nothing to move (the other publishers' usual lot) notifies nobody
CREATE OR REPLACE FUNCTION order_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE newest bigint := (SELECT max(id) FROM published);
BEGIN
  IF newest IS NOT NULL THEN
    PERFORM pg_notify('order_events', newest::text);
  END IF;
  RETURN NULL;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION order_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_events', (SELECT max(id)::text FROM published));
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION order_event_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('order_event_inbox', (SELECT max(seq)::text FROM written));
  RETURN NULL;
END $$;
ALTER TABLE order_event_inbox DROP COLUMN announce;
