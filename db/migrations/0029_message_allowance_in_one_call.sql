-- Up Migration

-- Counting a customer message against its allowances was a transaction of five statements, each a
-- round trip from the notifications worker, held open (with its advisory locks) while a busy worker
-- got round to the next one. It is one call now: the keys locked in a fixed order, the hour's
-- expired sends dropped, both counts read, and the send counted only when both are under their limit.
CREATE FUNCTION take_message_allowance(destination text, client text, per_destination integer, per_client integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  ks text[] := CASE WHEN client IS NULL THEN ARRAY[destination] ELSE ARRAY[destination, client] END;
  to_destination integer;
  from_client integer;
BEGIN
  PERFORM pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 27) AS h FROM unnest(ks) k ORDER BY 1) s;
  DELETE FROM message_sends WHERE key = ANY(ks) AND at <= now() - interval '1 hour';
  SELECT count(*) FILTER (WHERE key = destination), count(*) FILTER (WHERE key = client)
    INTO to_destination, from_client FROM message_sends WHERE key = ANY(ks);
  IF to_destination >= per_destination OR (client IS NOT NULL AND from_client >= per_client) THEN
    RETURN false;
  END IF;
  INSERT INTO message_sends (key) SELECT unnest(ks);
  RETURN true;
END $$;

-- Down Migration

DROP FUNCTION take_message_allowance(text, text, integer, integer);
