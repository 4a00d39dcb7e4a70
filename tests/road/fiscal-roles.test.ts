// The product as production runs it: as its own database role, a member of ocpizza_app that owns
// nothing. Tried as whoever holds that role's credentials: turning the journal's triggers off,
// emptying, changing, deleting or dropping any fiscal table is refused by Postgres itself (not by a
// trigger that could be turned off), and so is acting as a replica; yet the product, running as
// that role, takes an order, journals its sale, anchors its chain and verifies. The start-up check
// sees the difference between that role and the superuser, and production refuses the superuser.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAppRole, APP_ROLE } from '../app-role.ts';
import { fileDatabase } from '../file-database.ts';
import { Client, createShop, freePort, move, run, seededProduct, waitUntil } from '../helpers.ts';
import { startStack, type Stack } from '../services.ts';
import { shopChain } from '../../src/lib/domain/fiscal-chain.ts';
import { checkFiscalRole, fiscalPrivileges, FISCAL_TABLES } from '../../src/lib/server/fiscal/privileges.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';

const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const appUrl = asAppRole(fileDatabase().databaseUrl);
let app: pg.Client;

beforeAll(async () => {
  app = new pg.Client({ connectionString: appUrl });
  await app.connect();
});
afterAll(() => app?.end());

/** The statement as the product's role: resolves to the error Postgres gave, or null when it was allowed (then rolled back). */
async function asApp(sql: string): Promise<string | null> {
  await app.query('BEGIN');
  try {
    await app.query(sql);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await app.query('ROLLBACK');
  }
}

describe('the product\'s own database role', () => {
  it('is refused, on every fiscal table, disabling its triggers, TRUNCATE, UPDATE, DELETE and DROP; and replica mode', async () => {
    expect(FISCAL_TABLES).toEqual(['fiscal_entries', 'fiscal_chains', 'fiscal_archives']);
    for (const table of FISCAL_TABLES) {
      expect(await asApp(`ALTER TABLE ${table} DISABLE TRIGGER USER`), table).toMatch(/must be owner of table/);
      expect(await asApp(`ALTER TABLE ${table} DISABLE TRIGGER ALL`), table).toMatch(/must be owner of table/);
      expect(await asApp(`TRUNCATE ${table} CASCADE`), table).toMatch(/permission denied for table/);
      const column = { fiscal_entries: 'sales_cents', fiscal_chains: 'last_seq', fiscal_archives: 'created_at' }[table];
      expect(await asApp(`UPDATE ${table} SET ${column} = ${column}`), table).toMatch(/permission denied for table/);
      expect(await asApp(`DELETE FROM ${table}`), table).toMatch(/permission denied for table/);
      expect(await asApp(`DROP TABLE ${table} CASCADE`), table).toMatch(/must be owner of table/);
    }
    expect(await asApp('SET session_replication_role = replica')).toMatch(/permission denied to set parameter/);
    // every table whose name says fiscal is so, but the bookkeeping of what the journal noted
    const { rows } = await app.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'fiscal\\_%' AND tablename <> 'fiscal_order_states'
         AND (has_table_privilege(tablename, 'UPDATE') OR has_table_privilege(tablename, 'DELETE') OR has_table_privilege(tablename, 'TRUNCATE') OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE relname = tablename), 'USAGE'))`,
    );
    expect(rows).toEqual([]);
  });

  it('the start-up check finds nothing to say of it, and names what the superuser could do', async () => {
    expect(await fiscalPrivileges(app)).toEqual({ role: APP_ROLE, liftable: [] });
    const su = new pg.Client({ connectionString: fileDatabase().databaseUrl });
    await su.connect();
    try {
      expect((await fiscalPrivileges(su)).liftable).toEqual([expect.stringMatching(/is a superuser: it may turn the journal's triggers off/)]);
      await expect(checkFiscalRole(su, true)).rejects.toThrow(/could change the fiscal journal unseen/);
      await expect(checkFiscalRole(su, false)).resolves.toMatchObject({ liftable: [expect.any(String)] });
    } finally {
      await su.end();
    }
  });

  it('a production server started as the superuser refuses to run, and says why', async () => {
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const r = await run(process.execPath, ['--import', tsx, 'server/index.ts'], {
      NODE_ENV: 'production', DATABASE_URL: fileDatabase().databaseUrl, PORT: String(await freePort()), HOST: '127.0.0.1',
      SESSION_SECRET: 's'.repeat(40), FISCAL_SIGNING_KEY: keyPem, PUBLIC_ORIGIN: 'https://pizza.example.fr', QUEUE_PREFIX: fileDatabase().queuePrefix, LOG_LEVEL: 'info',
    }, 60_000);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/runs as the database role postgres, which could change the fiscal journal unseen \(postgres is a superuser/);
  });
});

describe('the product running as that role', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: true, env: { DATABASE_URL: appUrl, FISCAL_SIGNING_KEY: keyPem } });
  }, 120_000);
  afterAll(() => stack?.close());

  it('takes an order at the counter, journals its sale, anchors its chain, and the journal verifies', async () => {
    const shop = await createShop(stack.pool, 'own-role');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const r = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Lou', phone: '0712345678' },
      items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('tiramisu'), quantity: 1 }], payment: 'on_delivery',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
    expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    const sales = async () => (await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE kind = 'sale' AND order_id = $1`, [r.body.id])).rows[0].n;
    await waitUntil(async () => (await sales()) === 1, 15_000, 'the workers, as the product\'s role, to journal the sale');
    await stack.workers.journal.sweep();
    const anchored = await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries e, jsonb_array_elements(e.body->'heads') h WHERE e.kind = 'checkpoint' AND h->>'chain' = $1`, [shopChain(shop.id)]);
    expect(anchored.rows[0].n).toBeGreaterThanOrEqual(1);
    expect((await stack.pool.query('SELECT current_user AS u')).rows[0].u).toBe(APP_ROLE);
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.chains).toEqual([expect.objectContaining({ chain: shopChain(shop.id), broken: null })]);
  });
});
