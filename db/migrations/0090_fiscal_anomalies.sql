-- Up Migration

-- An order whose money changed after the journal sealed it, with no event of the product's to say
-- why (a change made outside the product: src/lib/server/fiscal/anomalies.ts): the journal writes an
-- `anomaly` to the technical events journal instead of a correction, and leaves the order out of
-- its own writing from then on (what it sealed stands). `anomaly_state`: the order's money as the
-- anomaly found it; `anomaly_seq`: the JET entry that names it. Bookkeeping, like the rest of the
-- row: the JET's entry is the record.
ALTER TABLE fiscal_order_states
  ADD COLUMN anomaly_state text,
  ADD COLUMN anomaly_seq bigint;
CREATE INDEX fiscal_order_states_anomalies ON fiscal_order_states (order_id) WHERE anomaly_state IS NOT NULL;

-- Down Migration
DROP INDEX fiscal_order_states_anomalies;
ALTER TABLE fiscal_order_states DROP COLUMN anomaly_seq, DROP COLUMN anomaly_state;
