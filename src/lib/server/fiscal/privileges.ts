// Whether the role the product runs as could lift the fiscal journal's protections: a superuser
// (who may turn any trigger off, or replay as a replica), the owner of a fiscal table (who may
// disable its triggers or drop it), or a role granted UPDATE, DELETE or TRUNCATE on one. The
// product's role is a member of ocpizza_app (db/migrations/0091), which may read and add only.
// The server and the workers ask at start: in production they refuse to run as such a role;
// elsewhere (one role for everything on a development machine) they say so and go on.
import type { Queryable } from '../kernel/db.ts';

/** The fiscal tables the journal's rows live in: read and add only, for the product. */
export const FISCAL_TABLES = ['fiscal_entries', 'fiscal_chains', 'fiscal_archives'] as const;

export interface FiscalPrivileges {
  role: string;
  /** What this role could do to lift the journal's protections, in words (empty: nothing). */
  liftable: string[];
}

/** What the connected role may do to the fiscal tables that it should not. */
export async function fiscalPrivileges(q: Queryable): Promise<FiscalPrivileges> {
  const { rows: [me] } = await q.query<{ role: string; superuser: boolean; replication: boolean }>(
    'SELECT current_user AS role, rolsuper AS superuser, rolreplication AS replication FROM pg_roles WHERE rolname = current_user',
  );
  const { rows } = await q.query<{ name: string; owner: string; owns: boolean; up: boolean; del: boolean; trunc: boolean; trig: boolean }>(
    `SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner, pg_has_role(current_user, c.relowner, 'USAGE') AS owns,
            has_table_privilege(c.oid, 'UPDATE') AS up, has_table_privilege(c.oid, 'DELETE') AS del,
            has_table_privilege(c.oid, 'TRUNCATE') AS trunc, has_table_privilege(c.oid, 'TRIGGER') AS trig
     FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) ORDER BY c.relname`,
    [[...FISCAL_TABLES]],
  );
  const liftable: string[] = [];
  if (me.superuser) liftable.push(`${me.role} is a superuser: it may turn the journal's triggers off`);
  for (const t of rows) {
    if (me.superuser) break;
    if (t.owns) liftable.push(`${me.role} owns ${t.name} (or is a member of its owner, ${t.owner}): it may disable its triggers or drop it`);
    const may = [t.up && 'UPDATE', t.del && 'DELETE', t.trunc && 'TRUNCATE', t.trig && 'TRIGGER'].filter(Boolean);
    if (!t.owns && may.length) liftable.push(`${me.role} is granted ${may.join(', ')} on ${t.name}`);
  }
  return { role: me.role, liftable };
}

/**
 * At a process's start: refuses (throws) in production when the role could lift the journal's
 * protections; elsewhere returns what it could do, for a warning.
 */
export async function checkFiscalRole(q: Queryable, production: boolean): Promise<FiscalPrivileges> {
  const p = await fiscalPrivileges(q);
  if (production && p.liftable.length) {
    throw new Error(
      `the product runs as the database role ${p.role}, which could change the fiscal journal unseen (${p.liftable.join('; ')}). ` +
        'Run it as a role that owns nothing and is a member of ocpizza_app (DATABASE_URL), and migrate as the owner (DATABASE_OWNER_URL): docs/operations.md §4.11',
    );
  }
  return p;
}

/**
 * The check at a process's start, on a connection of its own: in production a role that could lift
 * the journal's protections ends the process (exit 1, with why); elsewhere it is a warning. A
 * database that cannot be reached yet is the process's own start-up to deal with: no verdict then.
 */
export async function guardFiscalRole(
  databaseUrl: string,
  production: boolean,
  log: { warn: (o: object, m: string) => void; fatal: (o: object, m: string) => void },
): Promise<void> {
  const { createPool } = await import('../kernel/db.ts');
  const pool = createPool(databaseUrl, 1);
  try {
    const p = await checkFiscalRole(pool, production);
    if (p.liftable.length) log.warn({ role: p.role, liftable: p.liftable }, 'the database role could change the fiscal journal unseen: fine on a development machine, refused in production');
  } catch (err) {
    if (!production || !/could change the fiscal journal/.test((err as Error).message)) return;
    log.fatal({ err }, (err as Error).message);
    process.exit(1);
  } finally {
    await pool.end().catch(() => {});
  }
}
