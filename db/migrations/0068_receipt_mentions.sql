-- Up Migration

-- Receipts that French law accepts (src/lib/server/fiscal/receipt-issues.ts): every receipt names
-- the seller as the law wants it, its ticket in the shop's journal, and which copy it is.

-- The shop's legal mentions, kept by head office (src/lib/domain/receipt-mentions.ts checks the
-- SIRET's key and that the VAT number is the SIREN's; the database keeps their form).
ALTER TABLE pizzerias
  ADD COLUMN legal_name text CHECK (legal_name IS NULL OR length(legal_name) BETWEEN 1 AND 120),
  ADD COLUMN siret text CHECK (siret ~ '^[0-9]{14}$'),
  ADD COLUMN vat_number text CHECK (vat_number ~ '^FR[0-9]{2}[0-9]{9}$'),
  ADD CONSTRAINT pizzerias_vat_number_of_siret CHECK (vat_number IS NULL OR siret IS NULL OR substr(vat_number, 5) = substr(siret, 1, 9));

-- The customer's receipt, printed on the shop's printer (its first copy the original, the next ones duplicates).
ALTER TABLE print_jobs DROP CONSTRAINT print_jobs_kind_check;
ALTER TABLE print_jobs ADD CONSTRAINT print_jobs_kind_check CHECK (kind IN ('label', 'ticket', 'receipt'));

-- Each copy of a sale's receipt given out: copy 0 is the original (the sale entry itself is its
-- record in the journal), copy k the duplicate n° k, whose entry of kind 'duplicate' in the shop's
-- chain (duplicate_seq) is written in the same transaction that numbers it. A screen's copy shown
-- again to the same person soon after is the same copy (no row, no entry). Bookkeeping beside the
-- journal, which stays the record an auditor reads.
CREATE TABLE receipt_issues (
  id             bigserial PRIMARY KEY,
  order_id       uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  copy           integer NOT NULL CHECK (copy >= 0),
  form           text NOT NULL CHECK (form IN ('page', 'pdf', 'printed')),
  -- a member of staff (role:id) or the customer (the holder of the tracking link)
  requested_by   text NOT NULL,
  print_job_id   integer UNIQUE REFERENCES print_jobs(id) ON DELETE SET NULL,
  duplicate_seq  bigint,
  issued_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, copy),
  CHECK ((copy = 0) = (duplicate_seq IS NULL))
);
CREATE INDEX receipt_issues_recent ON receipt_issues (order_id, requested_by, issued_at DESC);

-- Down Migration
DROP TABLE receipt_issues;
ALTER TABLE print_jobs DROP CONSTRAINT print_jobs_kind_check;
ALTER TABLE print_jobs ADD CONSTRAINT print_jobs_kind_check CHECK (kind IN ('label', 'ticket'));
ALTER TABLE pizzerias DROP CONSTRAINT pizzerias_vat_number_of_siret, DROP COLUMN vat_number, DROP COLUMN siret, DROP COLUMN legal_name;
