-- Up Migration

-- An append that comes after another writer moved the chain's head (it signed its entries after
-- the head as it read it, unlocked) is refused as a serialization failure (40001) rather than a
-- plain exception: the transaction that sealed a sale at its commit (src/lib/server/fiscal/seal.ts)
-- is then done again by transaction() (src/lib/server/kernel/db.ts), the chain locked first this
-- time. Nothing else changes: the same checks, the same head and ticket counters.
--
-- The same for a sale read by the statement that changed the order, signed, and appended at the
-- commit: if the order's money changed in between, the statement that notes it calls
-- fiscal_order_changed, and the transaction is done again.
CREATE FUNCTION fiscal_order_changed(order_id uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'fiscal journal: order % changed after its seal read it', order_id USING ERRCODE = 'serialization_failure';
END $$;

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

-- Down Migration
DROP FUNCTION fiscal_order_changed(uuid);
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

