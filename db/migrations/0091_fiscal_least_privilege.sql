-- Up Migration

-- The product runs as a role that may add to the fiscal journal and read it, and nothing else of
-- it. The triggers of 0066 refuse an UPDATE, a DELETE or a TRUNCATE, but whoever owns a table may
-- turn its triggers off (ALTER TABLE … DISABLE TRIGGER) or drop it: so the fiscal tables belong to
-- the role that migrates (the database's owner), and the product's login role is a member of
-- `ocpizza_app`, which owns nothing.
--
-- `ocpizza_app` may read and write every table (this migration's grants, and by default every
-- table a later migration makes), but of the fiscal tables only read and add: no UPDATE, DELETE or
-- TRUNCATE on fiscal_entries, fiscal_chains (but for the lock its appenders take: FOR UPDATE needs
-- the right to update one column, which the head's own trigger still holds to one step forward)
-- and fiscal_archives. The head moves through the append trigger, which runs as its owner.
--
-- One role for everything (a development machine, trust authentication) keeps working: it owns the
-- tables and is refused nothing; the server and the workers say so at start, and refuse to run that
-- way in production (src/lib/server/operations/database-role.ts). The role is made here when the
-- migrating role may make roles; otherwise (a managed Postgres) an administrator makes it first:
--   CREATE ROLE ocpizza_app NOLOGIN; GRANT ocpizza_app TO <the product's login role>;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ocpizza_app') THEN
    BEGIN
      CREATE ROLE ocpizza_app NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'the role ocpizza_app could not be made by %: make it as an administrator, then migrate again', current_user;
    END;
  END IF;
END $$;

-- The grants, as a function: a backup restored (pg_restore --no-privileges) gets them again from it
-- (src/lib/server/operations/backup.ts).
CREATE FUNCTION ocpizza_grant_app() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ocpizza_app') THEN RETURN; END IF;
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO ocpizza_app', current_database());
  GRANT USAGE ON SCHEMA public TO ocpizza_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ocpizza_app;
  GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ocpizza_app;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ocpizza_app;
  -- what later migrations make, by the same role
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ocpizza_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ocpizza_app;
  -- the fiscal journal: read and add only
  REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON fiscal_entries, fiscal_chains, fiscal_archives FROM ocpizza_app, PUBLIC;
  GRANT SELECT, INSERT ON fiscal_entries, fiscal_chains, fiscal_archives TO ocpizza_app;
  GRANT UPDATE (updated_at) ON fiscal_chains TO ocpizza_app;
END $$;
SELECT ocpizza_grant_app();

-- The append moves the chain's head as the tables' owner: the product may not move it itself.
ALTER FUNCTION fiscal_entry_next() SECURITY DEFINER SET search_path = public, pg_temp;

-- Down Migration
ALTER FUNCTION fiscal_entry_next() SECURITY INVOKER RESET search_path;
DROP FUNCTION ocpizza_grant_app();
