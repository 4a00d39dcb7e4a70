// What the operations tests (tests/operations-*.test.ts) share: the stack, the stock their few
// orders consume given back at the end, their side databases and temporary folders removed, their
// sockets closed after each test; and reading a database, the metrics and the dumps.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seededProduct, Client, connectSocket, customer, dropDatabase, parsePrometheus, samplesOf, type TestSocket } from './helpers.ts';
import { useStack } from './services.ts';

export const DUMP_NAME = /^ocpizza-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.dump$/;
// the tables a restore must bring back exactly as they were when the backup was taken
const COMPARED_TABLES = ['orders', 'order_items', 'order_events', 'stock', 'stock_reservations', 'users', 'pizzerias'];

/** Row count and a digest of every row of each table, to compare two databases (or one over time). */
export async function tableDigests(url: string): Promise<Record<string, { rows: number; digest: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const t of COMPARED_TABLES) {
      const { rows } = await c.query(
        `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest FROM ${t} t`,
      );
      out[t] = rows[0];
    }
    return out;
  } finally {
    await c.end();
  }
}

export async function queryOn<T extends pg.QueryResultRow = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Temporary folders of a test file, removed after it. */
export function useTmpDirs() {
  const tmpDirs: string[] = [];
  afterAll(async () => {
    for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
  });
  return async function tmpDir(tag: string) {
    const d = await mkdtemp(join(tmpdir(), `ocpizza-${tag}-`));
    tmpDirs.push(d);
    return d;
  };
}

/**
 * The stack of an operations test file (useStack) and what its tests make along the way: side
 * databases named in `sideDatabases` are dropped and folders from `tmpDir` removed after the file.
 */
export function useOperations() {
  const tmpDir = useTmpDirs();
  const stack = useStack();
  let margherita: number;
  let savedStock: unknown[];
  const sideDatabases: string[] = [];
  const openSockets: TestSocket[] = [];

  beforeAll(async () => {
    margherita = seededProduct('margherita');
    // the few orders made here consume stock: given back at the end
    savedStock = (await stack.pool.query('SELECT pizzeria_id, ingredient_id, on_hand FROM stock')).rows;
  });
  afterEach(() => {
    for (const s of openSockets.splice(0)) s.disconnect();
  });
  afterAll(async () => {
    if (savedStock) {
      await stack.pool.query(
        `UPDATE stock s SET on_hand = x.on_hand FROM jsonb_to_recordset($1::jsonb) AS x(pizzeria_id int, ingredient_id int, on_hand int)
         WHERE s.pizzeria_id = x.pizzeria_id AND s.ingredient_id = x.ingredient_id AND s.on_hand <> x.on_hand`,
        [JSON.stringify(savedStock)],
      );
    }
    for (const name of sideDatabases) await dropDatabase(name);
  });

  async function socketAs(email: string, at = stack.base) {
    const client = await new Client(at).login(email);
    const socket = await connectSocket(at, { cookie: client.cookie });
    openSockets.push(socket);
    return { client, socket };
  }

  async function metrics(at = stack.base) {
    const res = await fetch(`${at}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }

  const metricValue = async (name: string, labels: Record<string, string> = {}, at = stack.base) =>
    samplesOf(await metrics(at), name, labels)[0]?.value;

  async function placePickup(shop: number, client = new Client(stack.base)) {
    const r = await client.post('/api/orders', {
      pizzeriaId: shop,
      fulfilment: 'pickup',
      customer,
      items: [{ productId: margherita, quantity: 1 }],
      payment: 'on_delivery',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; trackingToken: string; version: number };
  }

  return { stack, sideDatabases, openSockets, tmpDir, socketAs, metrics, metricValue, placePickup };
}
