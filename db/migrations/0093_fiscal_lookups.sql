-- Up Migration

-- What the managers' alerts read at every refresh (src/lib/server/flows/alerts.ts): the counter's
-- payment corrections of the last hours, and the anomalies the JET recorded. Without these, each
-- refresh scanned the journal (the JET grows by a checkpoint a minute and a sign-in a login).
CREATE INDEX fiscal_entries_corrections ON fiscal_entries (recorded_at) WHERE kind = 'payment_correction';
CREATE INDEX fiscal_entries_anomalies ON fiscal_entries (seq) WHERE kind = 'anomaly';

-- Down Migration
DROP INDEX fiscal_entries_anomalies;
DROP INDEX fiscal_entries_corrections;
