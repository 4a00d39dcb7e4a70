-- Up Migration

-- Ticket numbers per series (src/lib/domain/fiscal-tickets.ts): a shop's sales tickets, credit
-- notes, duplicates and closings are each numbered on their own without a gap, inside the one
-- signed chain. Each chain's head keeps every series' last number; the append checks that a
-- ticket carries the next number of its series (and that an entry of a ticket's kind carries one),
-- and moves the counter with the head. The series already written before this are counted as
-- they stand, so the next ticket of each series follows them.
ALTER TABLE fiscal_chains ADD COLUMN tickets jsonb NOT NULL DEFAULT '{}';

-- the series of an entry (TICKET_SERIES, ticketSeriesOf), or NULL
CREATE FUNCTION fiscal_ticket_series(kind text, body jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN kind IN ('sale', 'duplicate', 'closing') THEN kind
              WHEN kind = 'refund' AND body->>'creditNote' = 'true' THEN 'credit_note' END
$$;

ALTER TABLE fiscal_chains DISABLE TRIGGER fiscal_chains_forward;
UPDATE fiscal_chains c SET tickets = coalesce(
  (SELECT jsonb_object_agg(s, n) FROM (
     SELECT fiscal_ticket_series(e.kind, e.body) AS s, count(*) AS n FROM fiscal_entries e
     WHERE e.chain = c.chain AND fiscal_ticket_series(e.kind, e.body) IS NOT NULL GROUP BY 1) t), '{}')
WHERE c.chain <> 'jet';
ALTER TABLE fiscal_chains ENABLE TRIGGER fiscal_chains_forward;

-- An entry must be the next of its chain and linked to its last one; a ticket, the next of its
-- series; the head (and the series' counter) follows it. As the tables' owner (0091).
CREATE OR REPLACE FUNCTION fiscal_entry_next() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head fiscal_chains%ROWTYPE;
  series text;
  expected bigint;
BEGIN
  SELECT * INTO head FROM fiscal_chains WHERE chain = NEW.chain FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal journal: no chain %', NEW.chain;
  END IF;
  IF NEW.seq <> head.last_seq + 1 OR NEW.prev_signature IS DISTINCT FROM head.last_signature THEN
    RAISE EXCEPTION 'fiscal journal: entry % of % is not the next one (the chain is at %)', NEW.seq, NEW.chain, head.last_seq;
  END IF;
  series := CASE WHEN NEW.chain = 'jet' THEN NULL ELSE fiscal_ticket_series(NEW.kind, NEW.body) END;
  IF series IS NOT NULL THEN
    expected := coalesce((head.tickets->>series)::bigint, 0) + 1;
    IF (NEW.body->'numbered'->>'series') IS DISTINCT FROM series OR (NEW.body->'numbered'->>'no')::bigint IS DISTINCT FROM expected THEN
      RAISE EXCEPTION 'fiscal journal: entry % of % must be % no. % (numbered: %)', NEW.seq, NEW.chain, series, expected, coalesce(NEW.body->'numbered', 'null'::jsonb);
    END IF;
    head.tickets := jsonb_set(head.tickets, ARRAY[series], to_jsonb(expected));
  END IF;
  UPDATE fiscal_chains SET last_seq = NEW.seq, last_signature = NEW.signature, tickets = head.tickets, updated_at = now() WHERE chain = NEW.chain;
  RETURN NEW;
END $$;

-- Down Migration
CREATE OR REPLACE FUNCTION fiscal_entry_next() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head fiscal_chains%ROWTYPE;
BEGIN
  SELECT * INTO head FROM fiscal_chains WHERE chain = NEW.chain FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal journal: no chain %', NEW.chain;
  END IF;
  IF NEW.seq <> head.last_seq + 1 OR NEW.prev_signature IS DISTINCT FROM head.last_signature THEN
    RAISE EXCEPTION 'fiscal journal: entry % of % is not the next one (the chain is at %)', NEW.seq, NEW.chain, head.last_seq;
  END IF;
  UPDATE fiscal_chains SET last_seq = NEW.seq, last_signature = NEW.signature, updated_at = now() WHERE chain = NEW.chain;
  RETURN NEW;
END $$;
DROP FUNCTION fiscal_ticket_series(text, jsonb);
ALTER TABLE fiscal_chains DROP COLUMN tickets;
