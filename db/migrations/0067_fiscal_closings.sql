-- Up Migration

-- A shop's closings (src/lib/server/fiscal/closings.ts) are entries of its fiscal chain (kind
-- 'closing'): a day's, a month's, a fiscal year's totals and the perpetual grand totals. Each
-- closing starts from the last one of its level: found at once by this index, however long the chain.
CREATE INDEX fiscal_entries_closings ON fiscal_entries (chain, seq) WHERE kind = 'closing';

-- Down Migration
DROP INDEX fiscal_entries_closings;
