-- Up Migration

-- What appending an entry costs Postgres, for every sale sealed at its handover (two entries: the
-- sale and its payment). The same checks, the same errors, the same head; fewer statements:
--
-- - The head moves by one statement: the UPDATE of the chain's row that checks, in its WHERE, that
--   the entry is the next one (its seq, its link to the last signature, its ticket number in its
--   series) and moves the head and the series' counter. Before, a SELECT … FOR UPDATE of the head,
--   then the checks, then the UPDATE: two statements of the function per entry. When the UPDATE
--   finds nothing to move, the head is read locked (as before) and the entry refused with the
--   reason: no chain, not the next one (40001: the sale is signed again after the new head,
--   migration 0095), or the wrong ticket number. Under a concurrent appender the UPDATE waits for
--   the row as the SELECT … FOR UPDATE did, and checks the head as that appender left it.
-- - The foreign key from fiscal_entries to fiscal_chains goes: each entry's check of it was a
--   statement of its own (a key-share lock of the chain's row that the function above has just
--   updated), and it said nothing the function does not: an entry of a chain with no row is refused
--   ('no chain'), and a chain's row cannot be deleted (fiscal_chains_no_delete) nor its table
--   truncated by the product's role (0091).
--
-- Measured on a 2-core machine, ten runs of 3,000 appends of a sale and its payment (a transaction
-- each), the backend's CPU read from /proc, in turns with the function and key before: 0.35 ms a
-- sale's append before, 0.29 ms after, medians (docs/benchmarks.md, the fiscal section).
CREATE OR REPLACE FUNCTION fiscal_entry_next() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  series text := CASE WHEN NEW.chain = 'jet' THEN NULL ELSE fiscal_ticket_series(NEW.kind, NEW.body) END;
  head fiscal_chains%ROWTYPE;
  expected bigint;
BEGIN
  UPDATE fiscal_chains c SET last_seq = NEW.seq, last_signature = NEW.signature, updated_at = now(),
         tickets = CASE WHEN series IS NULL THEN c.tickets
                        ELSE jsonb_set(c.tickets, ARRAY[series], to_jsonb(coalesce((c.tickets->>series)::bigint, 0) + 1)) END
   WHERE c.chain = NEW.chain AND c.last_seq = NEW.seq - 1 AND c.last_signature IS NOT DISTINCT FROM NEW.prev_signature
     AND (series IS NULL OR ((NEW.body->'numbered'->>'series') IS NOT DISTINCT FROM series
                             AND (NEW.body->'numbered'->>'no')::bigint IS NOT DISTINCT FROM coalesce((c.tickets->>series)::bigint, 0) + 1));
  IF FOUND THEN
    RETURN NEW;
  END IF;
  -- refused: why, from the head as it now stands (locked)
  SELECT * INTO head FROM fiscal_chains WHERE chain = NEW.chain FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal journal: no chain %', NEW.chain;
  END IF;
  IF NEW.seq <> head.last_seq + 1 OR NEW.prev_signature IS DISTINCT FROM head.last_signature THEN
    RAISE EXCEPTION 'fiscal journal: entry % of % is not the next one (the chain is at %)', NEW.seq, NEW.chain, head.last_seq
      USING ERRCODE = 'serialization_failure';
  END IF;
  IF series IS NOT NULL THEN
    expected := coalesce((head.tickets->>series)::bigint, 0) + 1;
    IF (NEW.body->'numbered'->>'series') IS DISTINCT FROM series OR (NEW.body->'numbered'->>'no')::bigint IS DISTINCT FROM expected THEN
      RAISE EXCEPTION 'fiscal journal: entry % of % must be % no. % (numbered: %)', NEW.seq, NEW.chain, series, expected, coalesce(NEW.body->'numbered', 'null'::jsonb);
    END IF;
    head.tickets := jsonb_set(head.tickets, ARRAY[series], to_jsonb(expected));
  END IF;
  -- the head moved into place between the two reads: the entry is the next one after all
  UPDATE fiscal_chains SET last_seq = NEW.seq, last_signature = NEW.signature, tickets = head.tickets, updated_at = now() WHERE chain = NEW.chain;
  RETURN NEW;
END $$;

ALTER TABLE fiscal_entries DROP CONSTRAINT fiscal_entries_chain_fkey;

-- Down Migration

ALTER TABLE fiscal_entries ADD CONSTRAINT fiscal_entries_chain_fkey FOREIGN KEY (chain) REFERENCES fiscal_chains(chain);

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
    RAISE EXCEPTION 'fiscal journal: entry % of % is not the next one (the chain is at %)', NEW.seq, NEW.chain, head.last_seq
      USING ERRCODE = 'serialization_failure';
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
