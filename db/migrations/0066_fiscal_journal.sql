-- Up Migration

-- The fiscal journal (src/lib/server/fiscal/): every sale, payment, refund and cancellation after
-- payment, per shop, in chains numbered without a gap, each entry signed over its content and the
-- previous entry's signature (src/lib/domain/fiscal-chain.ts); and the technical events journal
-- ("jet": key changes now). Entries are only ever added: an UPDATE, a DELETE or a TRUNCATE is
-- refused by the triggers below, whoever asks (only a superuser turning triggers off, with
-- session_replication_role = replica, gets past them; the signatures are there to show it).

-- Each chain's head: its last number and signature. The appender locks it (FOR UPDATE) before
-- numbering, so two appenders at once number one after the other.
CREATE TABLE fiscal_chains (
  chain           text PRIMARY KEY CHECK (chain = 'jet' OR chain ~ '^shop:[0-9]+$'),
  pizzeria_id     integer REFERENCES pizzerias(id),
  last_seq        bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  last_signature  text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((chain = 'jet') = (pizzeria_id IS NULL))
);

CREATE TABLE fiscal_entries (
  chain           text NOT NULL REFERENCES fiscal_chains(chain),
  seq             bigint NOT NULL CHECK (seq > 0),
  kind            text NOT NULL,
  -- when the fact happened; when the journal wrote it
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  -- a member of staff (role:id), the customer, online, or system
  operator        text NOT NULL,
  order_id        uuid,
  -- the fact's own key: the same fact written again is refused, so it is one entry
  source_key      text NOT NULL UNIQUE,
  -- lines with their VAT rate, amounts before and after VAT per rate, payment ways, the entry it refers to
  body            jsonb NOT NULL,
  -- its effect on the sales (taxes included) and their VAT, and the money taken (+) or given back (-)
  sales_cents     bigint NOT NULL DEFAULT 0,
  vat_cents       bigint NOT NULL DEFAULT 0,
  money_cents     bigint NOT NULL DEFAULT 0,
  prev_signature  text,
  signature       text NOT NULL,
  -- the signing key's id (a fingerprint of its public half)
  key_id          text NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE INDEX fiscal_entries_order ON fiscal_entries (order_id, seq) WHERE order_id IS NOT NULL;

-- An entry must be the next of its chain and linked to its last one; the head follows it.
CREATE FUNCTION fiscal_entry_next() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER fiscal_entries_next BEFORE INSERT ON fiscal_entries FOR EACH ROW EXECUTE FUNCTION fiscal_entry_next();

CREATE FUNCTION fiscal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'fiscal journal: % on % refused: entries are only ever added (a mistake is corrected by a new entry)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER fiscal_entries_no_change BEFORE UPDATE OR DELETE ON fiscal_entries FOR EACH ROW EXECUTE FUNCTION fiscal_refuse_change();
CREATE TRIGGER fiscal_entries_no_truncate BEFORE TRUNCATE ON fiscal_entries FOR EACH STATEMENT EXECUTE FUNCTION fiscal_refuse_change();

-- A head only moves one entry forward (what the trigger above does), and is never removed.
CREATE FUNCTION fiscal_chain_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.chain <> OLD.chain OR NEW.pizzeria_id IS DISTINCT FROM OLD.pizzeria_id OR NEW.last_seq <> OLD.last_seq + 1 THEN
    RAISE EXCEPTION 'fiscal journal: the head of % only moves one entry forward', OLD.chain USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fiscal_chains_forward BEFORE UPDATE ON fiscal_chains FOR EACH ROW EXECUTE FUNCTION fiscal_chain_forward();
CREATE TRIGGER fiscal_chains_no_delete BEFORE DELETE ON fiscal_chains FOR EACH ROW EXECUTE FUNCTION fiscal_refuse_change();
CREATE TRIGGER fiscal_chains_no_truncate BEFORE TRUNCATE ON fiscal_chains FOR EACH STATEMENT EXECUTE FUNCTION fiscal_refuse_change();

-- The money of each order as the journal last wrote it (a fingerprint of its columns): an order
-- whose money did not change since is not read again, and the sweep finds those that changed
-- without the journal hearing of it. Bookkeeping, not the journal: it may be rewritten.
CREATE TABLE fiscal_order_states (
  order_id      uuid PRIMARY KEY,
  money_state   text NOT NULL,
  journaled_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE fiscal_order_states;
DROP TABLE fiscal_entries;
DROP TABLE fiscal_chains;
DROP FUNCTION fiscal_chain_forward();
DROP FUNCTION fiscal_refuse_change();
DROP FUNCTION fiscal_entry_next();
