// The database role the product runs as in production: a login role that owns nothing and is a
// member of ocpizza_app (db/migrations/0091: it may read and add to the fiscal journal, never
// change, empty or unprotect it). The tests' global setup makes it once per cluster; a test that
// starts the product as production does (which refuses a superuser or an owner) connects as it.
// This machine's Postgres trusts local connections: the role has no password.
export const APP_ROLE = 'ocpizza_test_app';

/** The same database, as the product's own role. */
export function asAppRole(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.username = APP_ROLE;
  u.password = '';
  return u.toString();
}
