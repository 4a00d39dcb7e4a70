-- Up Migration

-- The signed archives of the fiscal journal (src/lib/server/fiscal/archive.ts): one file a period
-- (a tar.gz of the chains' entries as JSON Lines, a signed manifest, the public keys), kept here
-- with its SHA-256 and manifest, downloaded by head office. Kept six years at least (keep_until):
-- like the journal, an archive is never changed nor removed: UPDATE, DELETE and TRUNCATE are
-- refused to every connection (fiscal_refuse_change, migration 0066), and the weekly maintenance
-- (src/lib/server/maintenance.ts) never touches this table.
CREATE TABLE fiscal_archives (
  id           bigserial PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- who asked: admin:<id>, or system (the yearly closing)
  created_by   text NOT NULL,
  -- one shop's, or every shop's (null)
  pizzeria_id  integer REFERENCES pizzerias(id),
  -- [period_from, period_to): by when the entries were written
  period_from  timestamptz NOT NULL,
  period_to    timestamptz NOT NULL CHECK (period_to > period_from),
  file_name    text NOT NULL UNIQUE,
  bytes        bytea NOT NULL,
  size         integer NOT NULL CHECK (size = octet_length(bytes)),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  manifest     jsonb NOT NULL,
  -- the key that signed the manifest
  key_id       text NOT NULL,
  entries      integer NOT NULL CHECK (entries >= 0),
  keep_until   date NOT NULL
);
CREATE INDEX fiscal_archives_shop ON fiscal_archives (pizzeria_id, period_from);

CREATE TRIGGER fiscal_archives_no_change BEFORE UPDATE OR DELETE ON fiscal_archives FOR EACH ROW EXECUTE FUNCTION fiscal_refuse_change();
CREATE TRIGGER fiscal_archives_no_truncate BEFORE TRUNCATE ON fiscal_archives FOR EACH STATEMENT EXECUTE FUNCTION fiscal_refuse_change();

-- Down Migration
DROP TABLE fiscal_archives;
