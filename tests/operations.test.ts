// Operations, end to end against real Postgres, Redis and child processes: backups and restores,
// housekeeping, migrations under concurrency, readiness, metrics, request ids, the operations
// socket scope and the production configuration. No mocks.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  Client,
  SHOPS,
  collect,
  connectSocket,
  createSideDatabase,
  customer,
  databaseExists,
  databaseUrlFor,
  deleteRedisKeys,
  dropDatabase,
  freePort,
  npmRun,
  parsePrometheus,
  productId,
  run,
  samplesOf,
  sideDatabaseName,
  silentLog,
  startTestApp,
  subscribe,
  testConfig,
  testPool,
  userId,
  waitUntil,
  type TestSocket,
  move,
} from './helpers.ts';
import type { App } from '../server/app.ts';
import type { SystemStatus } from '../src/lib/realtime/contract.ts';
import { backupFileName, createBackup, pruneBackups } from '../src/lib/server/backup.ts';
import { runMaintenance } from '../src/lib/server/maintenance.ts';
import { MIGRATIONS_DIR } from '../db/migrate-runner.ts';
import { startWorkers } from '../workers/workers.ts';
import { scheduleMaintenance } from '../workers/maintenance.worker.ts';
import { SCHEDULERS } from '../src/lib/server/queues.ts';
import { publishEvents } from '../src/lib/server/events.ts';

const execFileP = promisify(execFile);
const DUMP_NAME = /^ocpizza-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.dump$/;
// the tables a restore must bring back exactly as they were when the backup was taken
const COMPARED_TABLES = ['orders', 'order_items', 'order_events', 'stock', 'stock_reservations', 'users', 'pizzerias'];

let app: App;
let base: string;
let pool: pg.Pool;
let margherita: number;
const databaseUrl = inject('databaseUrl');
const tmpDirs: string[] = [];
const sideDatabases: string[] = [];
const openSockets: TestSocket[] = [];

let savedStock: unknown[];

beforeAll(async () => {
  ({ app, base } = await startTestApp());
  pool = testPool();
  margherita = await productId(pool, 'margherita');
  // the few orders made here consume stock: given back at the end
  savedStock = (await pool.query('SELECT pizzeria_id, ingredient_id, on_hand FROM stock')).rows;
});
afterEach(() => {
  for (const s of openSockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await app?.close();
  await pool?.query(
    `UPDATE stock s SET on_hand = x.on_hand FROM jsonb_to_recordset($1::jsonb) AS x(pizzeria_id int, ingredient_id int, on_hand int)
     WHERE s.pizzeria_id = x.pizzeria_id AND s.ingredient_id = x.ingredient_id AND s.on_hand <> x.on_hand`,
    [JSON.stringify(savedStock)],
  );
  await pool?.end();
  for (const name of sideDatabases) await dropDatabase(name);
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

async function tmpDir(tag: string) {
  const d = await mkdtemp(join(tmpdir(), `ocpizza-${tag}-`));
  tmpDirs.push(d);
  return d;
}

async function socketAs(email: string, at = base) {
  const client = await new Client(at).login(email);
  const socket = await connectSocket(at, { cookie: client.cookie });
  openSockets.push(socket);
  return { client, socket };
}

/** Row count and a digest of every row of each table, to compare two databases (or one over time). */
async function tableDigests(url: string): Promise<Record<string, { rows: number; digest: string }>> {
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

async function queryOn<T extends pg.QueryResultRow = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function metrics(at = base) {
  const res = await fetch(`${at}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

const metricValue = async (name: string, labels: Record<string, string> = {}, at = base) =>
  samplesOf(await metrics(at), name, labels)[0]?.value;

async function placePickup(shop: number, client = new Client(base)) {
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


// each spawns npm commands (backup, restore, migrate): 20 s and more on a busy machine, so 90 s each
describe('backups and restores', () => {
  it('npm run db:backup writes a checked dump and records it; a restore into a fresh database brings back the data as of the backup, refuses a non-empty one unless --force, and fails clearly on a missing file', async () => {
    const dir = await tmpDir('backup');
    const before = await tableDigests(databaseUrl);

    const backup = await npmRun('db:backup', [], { DATABASE_URL: databaseUrl, BACKUP_DIR: dir, NODE_ENV: 'test' });
    expect(backup.code, backup.stderr).toBe(0);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(DUMP_NAME);
    const file = join(dir, files[0]);
    expect(backup.stdout.trim().split('\n').at(-1)).toBe(file);

    // the dump is one pg_restore reads, with the data of our tables
    const { stdout: listing } = await execFileP('pg_restore', ['--list', file]);
    for (const t of ['orders', 'order_events', 'stock']) expect(listing).toMatch(new RegExp(`TABLE DATA public ${t} `));

    const { rows: recorded } = await pool.query('SELECT * FROM backups WHERE file = $1', [file]);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ ok: true, error: null, trigger: 'manual', bytes: (await stat(file)).size });
    expect(recorded[0].finished_at).toBeInstanceOf(Date);

    // life goes on after the backup: an order is placed and its preparation consumes stock
    const kitchen = await new Client(base).login('kitchen.montmartre@ocpizza.test');
    const after = await placePickup(SHOPS.montmartre);
    await move(kitchen, after.id, 'preparing');
    await move(kitchen, after.id, 'ready');
    await move(kitchen, after.id, 'collected');
    const changed = await tableDigests(databaseUrl);
    for (const t of ['orders', 'order_events', 'stock']) expect(changed[t], t).not.toEqual(before[t]);

    // restore into a database that does not exist yet: the command creates it
    const target = sideDatabaseName('restored');
    sideDatabases.push(target);
    const targetUrl = databaseUrlFor(target);
    const restored = await npmRun('db:restore', [file, '--to', targetUrl], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored ${file} into ${target}`);
    expect(await tableDigests(targetUrl)).toEqual(before);
    expect(await queryOn(targetUrl, 'SELECT id FROM orders WHERE id = $1', [after.id])).toEqual([]);

    // the same again into the now non-empty database: refused, and nothing in it changes
    await queryOn(targetUrl, `INSERT INTO maintenance_runs (sessions_deleted, events_archived, trigger) VALUES (0, 0, 'marker')`);
    const marked = await tableDigests(targetUrl);
    const refused = await npmRun('db:restore', [file, '--to', targetUrl], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not empty.*--force/);
    expect(await tableDigests(targetUrl)).toEqual(marked);
    expect(await queryOn(targetUrl, `SELECT 1 FROM maintenance_runs WHERE trigger = 'marker'`)).toHaveLength(1);

    // with --force it replaces the contents with the backup's
    const forced = await npmRun('db:restore', [file, '--to', targetUrl, '--force'], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await tableDigests(targetUrl)).toEqual(before);
    expect(await queryOn(targetUrl, `SELECT 1 FROM maintenance_runs WHERE trigger = 'marker'`)).toEqual([]);

    // a file that is not there: a clear message, and no database created on the way
    const missing = join(dir, 'ocpizza-1999-01-01T00-00-00Z.dump');
    const nowhere = sideDatabaseName('never');
    sideDatabases.push(nowhere);
    const failed = await npmRun('db:restore', [missing, '--to', databaseUrlFor(nowhere)], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(missing);
    expect(failed.stderr).toMatch(/not found|no such file/i);
    expect(await databaseExists(nowhere)).toBe(false);

    // a file that is not a dump: refused before touching anything
    const junk = join(dir, 'junk.dump');
    await writeFile(junk, 'not a dump at all');
    const notADump = await npmRun('db:restore', [junk, '--to', targetUrl, '--force'], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(notADump.code).not.toBe(0);
    expect(notADump.stderr).toContain(junk);
    expect(await tableDigests(targetUrl)).toEqual(before);
    const intoNowhere = await npmRun('db:restore', [junk, '--to', databaseUrlFor(nowhere)], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(intoNowhere.code).not.toBe(0);
    expect(await databaseExists(nowhere)).toBe(false);
  }, 90_000);

  it('a failed backup is recorded with its error and shows as ocpizza_backup_last_ok 0 until a good one brings it back to 1', async () => {
    const dir = await tmpDir('failing');
    const failuresBefore = (await metricValue('ocpizza_backup_failures_total')) ?? 0;

    // a database that does not exist
    const badUrl = databaseUrlFor(sideDatabaseName('missing'));
    await expect(createBackup(pool, badUrl, dir, 'test')).rejects.toThrow(/backup failed: .*does not exist/);
    const { rows: lastRows } = await pool.query('SELECT * FROM backups ORDER BY id DESC LIMIT 1');
    expect(lastRows[0]).toMatchObject({ ok: false, trigger: 'test', bytes: null });
    expect(lastRows[0].error).toMatch(/does not exist/);
    expect(lastRows[0].finished_at).toBeInstanceOf(Date);
    expect(await readdir(dir)).toEqual([]); // no half-written dump left behind

    await waitUntil(async () => (await metricValue('ocpizza_backup_last_ok')) === 0, 5000, 'ocpizza_backup_last_ok 0');

    // a directory that cannot be written (a path under a regular file)
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    await expect(createBackup(pool, databaseUrl, join(blocker, 'backups'), 'test')).rejects.toThrow(/backup failed/);
    const { rows: second } = await pool.query('SELECT ok, error FROM backups ORDER BY id DESC LIMIT 1');
    expect(second[0]).toMatchObject({ ok: false, error: expect.stringMatching(/ENOTDIR|not a directory/) });
    await waitUntil(
      async () => (await metricValue('ocpizza_backup_failures_total')) === failuresBefore + 2,
      5000,
      'two more failures counted',
    );
    expect(await metricValue('ocpizza_backup_last_ok')).toBe(0);

    const good = await createBackup(pool, databaseUrl, dir, 'test');
    expect(good.bytes).toBeGreaterThan(0);
    await waitUntil(async () => (await metricValue('ocpizza_backup_last_ok')) === 1, 5000, 'ocpizza_backup_last_ok 1');
    const m = await metrics();
    expect(samplesOf(m, 'ocpizza_backup_last_size_bytes')[0].value).toBe(good.bytes);
    expect(samplesOf(m, 'ocpizza_backup_last_success_timestamp_seconds')[0].value).toBeGreaterThan(Date.now() / 1000 - 60);
  }, 90_000);

  it('pruning deletes only our dumps older than the retention, never any other file', async () => {
    const dir = await tmpDir('prune');
    const now = new Date('2026-11-22T03:00:00Z');
    const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600_000);
    const old = backupFileName(daysAgo(15));
    const justOld = backupFileName(new Date(daysAgo(14).getTime() - 1000));
    const recent = backupFileName(daysAgo(13));
    const atCutoff = backupFileName(daysAgo(14));
    const others = [
      'notes.txt',
      'ocpizza-latest.dump',
      'other-2020-01-01T00-00-00Z.dump',
      `${old}.partial`,
      `copy-of-${old}`,
      'ocpizza-2020-01-01T00-00-00Z.sql',
    ];
    for (const f of [old, justOld, recent, atCutoff, ...others]) await writeFile(join(dir, f), 'x');
    await mkdir(join(dir, 'ocpizza-2019-01-01T00-00-00Z.dump.d'));

    const deleted = await pruneBackups(dir, 14, now);
    expect(deleted.sort()).toEqual([old, justOld].sort());
    expect((await readdir(dir)).sort()).toEqual([recent, atCutoff, ...others, 'ocpizza-2019-01-01T00-00-00Z.dump.d'].sort());
    // a directory that is not there is nothing to prune
    expect(await pruneBackups(join(dir, 'absent'), 14, now)).toEqual([]);
  });

  it('the workers schedule the daily backup with BACKUP_CRON, and a backup job writes and records a dump', async () => {
    const side = await createSideDatabase('sched', { migrate: true });
    sideDatabases.push(side.name);
    const dir = await tmpDir('scheduled');
    const prefix = `${inject('queuePrefix')}_ops`;
    const env = { DATABASE_URL: side.url, QUEUE_PREFIX: prefix, BACKUP_DIR: dir, BACKUP_CRON: '17 2 * * *', MAINTENANCE_CRON: '45 5 * * 1' };
    const workers = await startWorkers(testConfig(env), silentLog);
    try {
      const schedulers = await workers.queues.maintenance.getJobSchedulers();
      const byKey = Object.fromEntries(schedulers.map((s) => [s.key, s]));
      expect(byKey[SCHEDULERS.backup]).toMatchObject({ name: 'backup', pattern: '17 2 * * *', tz: 'UTC' });
      expect(byKey[SCHEDULERS.housekeeping]).toMatchObject({ name: 'housekeeping', pattern: '45 5 * * 1' });
      expect(schedulers).toHaveLength(Object.keys(SCHEDULERS).length); // one per schedule, nothing else

      // a restart with another pattern replaces the schedule rather than adding one
      await scheduleMaintenance(workers.queues, testConfig({ ...env, BACKUP_CRON: '5 4 * * *' }));
      const again = await workers.queues.maintenance.getJobSchedulers();
      expect(again).toHaveLength(Object.keys(SCHEDULERS).length);
      expect(again.find((s) => s.key === SCHEDULERS.backup)).toMatchObject({ pattern: '5 4 * * *' });

      // the job the scheduler would add, now
      const job = await workers.queues.maintenance.add('backup', { trigger: 'schedule' });
      const row = await waitUntil(
        async () => (await queryOn(side.url, 'SELECT * FROM backups WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1'))[0],
        30_000,
        'the scheduled backup',
      );
      expect(row, row.error ?? '').toMatchObject({ ok: true, trigger: 'schedule' });
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(DUMP_NAME);
      expect(row.file).toBe(join(dir, files[0]));
      expect(Number(row.bytes)).toBe((await stat(row.file)).size);
      await waitUntil(async () => (await workers.queues.maintenance.getJob(job.id!))?.finishedOn, 5000, 'the job to finish');
      expect((await workers.queues.maintenance.getJob(job.id!))?.returnvalue).toMatchObject({ file: row.file, pruned: 0 });
    } finally {
      await workers.close();
      await deleteRedisKeys(prefix);
    }
  }, 90_000);
});

describe('housekeeping', () => {
  let side: Awaited<ReturnType<typeof createSideDatabase>>;
  let sideApp: App;
  let sideBase: string;
  let sidePool: pg.Pool;

  beforeAll(async () => {
    side = await createSideDatabase('maint', { seed: true });
    sideDatabases.push(side.name);
    sidePool = new pg.Pool({ connectionString: side.url, max: 4 });
    ({ app: sideApp, base: sideBase } = await startTestApp({ DATABASE_URL: side.url }));
  });
  afterAll(async () => {
    await sideApp?.close();
    await sidePool?.end();
  });

  const eventIds = async (table: 'order_events' | 'order_events_archive', orderId?: string) =>
    (await publishEvents(sidePool), await sidePool.query(`SELECT id FROM ${table} ${orderId ? 'WHERE order_id = $1' : ''} ORDER BY id`, orderId ? [orderId] : []))
      .rows.map((r) => Number(r.id));

  async function resume(lastEventId: number) {
    const { socket } = await socketAs('kitchen.bastille@ocpizza.test', sideBase);
    const seen = collect(socket);
    const ack = await subscribe(socket, { scope: 'kitchen', lastEventId });
    return { ack, seen };
  }

  it('deletes expired sessions and moves order events older than EVENT_ARCHIVE_DAYS to the archive, recording the counts; a screen resuming inside the archived range reloads, one resuming after it gets exactly what it missed', async () => {
    const kitchen = await new Client(sideBase).login('kitchen.bastille@ocpizza.test');
    const canal = await new Client(sideBase).login('kitchen.canal@ocpizza.test');
    const kitchenUser = await userId(sidePool, 'kitchen.bastille@ocpizza.test');
    await sidePool.query(
      `INSERT INTO sessions (id, user_id, expires_at) VALUES ('expired-1', $1, now() - interval '1 minute'), ('expired-2', $1, now() - interval '30 days')`,
      [kitchenUser],
    );
    const liveSessions = (await sidePool.query('SELECT id FROM sessions WHERE expires_at > now() ORDER BY id')).rows;
    expect(liveSessions).toHaveLength(2);

    // order A's events come first; it is the old one
    const place = (shop: number) => placePickup(shop, new Client(sideBase));
    const a = await place(SHOPS.bastille);
    await move(kitchen, a.id, 'preparing');
    await move(kitchen, a.id, 'ready');
    const b = await place(SHOPS.bastille);
    const c = await place(SHOPS.canal);
    await move(canal, c.id, 'preparing');
    await move(kitchen, b.id, 'preparing'); // the newest event is this shop's
    const aEvents = await eventIds('order_events', a.id);
    expect(aEvents).toHaveLength(3);
    const all = await eventIds('order_events');
    expect(all.slice(0, 3)).toEqual(aEvents);
    const archivedRows = (await sidePool.query('SELECT * FROM order_events WHERE order_id = $1 ORDER BY id', [a.id])).rows;
    await sidePool.query(`UPDATE order_events SET created_at = created_at - interval '31 days' WHERE order_id = $1`, [a.id]);
    const backdated = (await sidePool.query('SELECT * FROM order_events WHERE order_id = $1 ORDER BY id', [a.id])).rows;

    const r = await npmRun('maintenance', [], { DATABASE_URL: side.url, EVENT_ARCHIVE_DAYS: '30', NODE_ENV: 'test' });
    expect(r.code, r.stderr).toBe(0);
    const logged = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(logged).toMatchObject({ msg: 'maintenance done', sessionsDeleted: 2, eventsArchived: 3, archiveAfterDays: 30 });
    const { rows: runs } = await sidePool.query('SELECT * FROM maintenance_runs ORDER BY id DESC LIMIT 1');
    expect(runs[0]).toMatchObject({ sessions_deleted: 2, events_archived: 3, trigger: 'manual' });

    expect((await sidePool.query('SELECT id FROM sessions ORDER BY id')).rows).toEqual(liveSessions);
    expect(await eventIds('order_events', a.id)).toEqual([]);
    expect((await sidePool.query('SELECT * FROM order_events_archive ORDER BY id')).rows).toEqual(backdated);
    expect(backdated.map((e) => e.payload)).toEqual(archivedRows.map((e) => e.payload));
    expect(await eventIds('order_events')).toEqual(all.slice(3));
    // the staff whose sessions are live are still logged in
    expect((await kitchen.get(`/api/orders/${b.id}`)).status).toBe(200);

    // resuming from inside the archived range: told to reload, nothing replayed
    const inside = await resume(aEvents[1]);
    expect(inside.ack).toEqual({ data: { resync: true, lastEventId: all.at(-1) } });
    // resuming from the last archived event: exactly the missed events of this shop, in order
    const after = await resume(aEvents[2]);
    expect(after.ack).toEqual({ data: { lastEventId: all.at(-1) } });
    const bastilleAfter = (await sidePool.query('SELECT id FROM order_events WHERE pizzeria_id = $1 AND id > $2 ORDER BY id', [SHOPS.bastille, aEvents[2]])).rows.map((x) => Number(x.id));
    expect(bastilleAfter.length).toBeGreaterThan(0);
    await after.seen.waitFor((e) => e.eventId === bastilleAfter.at(-1));
    await new Promise((res) => setTimeout(res, 200));
    expect(after.seen.events.map((e) => e.eventId)).toEqual(bastilleAfter);
    expect(inside.seen.events).toEqual([]);
  });

  it('never archives the newest event, so screens keep resuming after it', async () => {
    await sidePool.query(`UPDATE order_events SET created_at = created_at - interval '400 days'`);
    const hot = await eventIds('order_events');
    expect(hot.length).toBeGreaterThan(1);
    const result = await runMaintenance(sidePool, 30, 'test');
    expect(result).toEqual({ sessionsDeleted: 0, eventsArchived: hot.length - 1 });
    expect(await eventIds('order_events')).toEqual([hot.at(-1)]);
    const { rows } = await sidePool.query('SELECT events_archived, trigger FROM maintenance_runs ORDER BY id DESC LIMIT 1');
    expect(rows[0]).toEqual({ events_archived: hot.length - 1, trigger: 'test' });

    // a screen that saw the newest event resumes normally; one that saw the event before it gets the newest only
    const upToDate = await resume(hot.at(-1)!);
    expect(upToDate.ack).toEqual({ data: { lastEventId: hot.at(-1) } });
    const newest = (await sidePool.query('SELECT pizzeria_id FROM order_events WHERE id = $1', [hot.at(-1)])).rows[0];
    expect(newest.pizzeria_id).toBe(SHOPS.bastille);
    const oneBehind = await resume(hot.at(-2)!);
    expect(oneBehind.ack).toEqual({ data: { lastEventId: hot.at(-1) } });
    await oneBehind.seen.waitFor((e) => e.eventId === hot.at(-1));
    await new Promise((res) => setTimeout(res, 100));
    expect(oneBehind.seen.events.map((e) => e.eventId)).toEqual([hot.at(-1)]);
    const wayBehind = await resume(hot[0]);
    expect(wayBehind.ack).toEqual({ data: { resync: true, lastEventId: hot.at(-1) } });
    // and a new event still reaches a screen live, after the archive
    const next = await placePickup(SHOPS.bastille, new Client(sideBase));
    await upToDate.seen.waitFor((e) => e.order.id === next.id);
  });
  it('archives a prefix of event ids only, even when a later event carries an older time (a clock stepped back)', async () => {
    const a = await placePickup(SHOPS.bastille, new Client(sideBase));
    const b = await placePickup(SHOPS.bastille, new Client(sideBase));
    const c = await placePickup(SHOPS.bastille, new Client(sideBase));
    await placePickup(SHOPS.bastille, new Client(sideBase)); // so that c is not the newest
    const [ea] = await eventIds('order_events', a.id);
    const [eb] = await eventIds('order_events', b.id);
    const [ec] = await eventIds('order_events', c.id);
    // a and c look old, b (between them) does not: archiving c would leave a hole under b
    await sidePool.query(`UPDATE order_events SET created_at = now() - interval '400 days' WHERE id <= $1 OR id = $2`, [ea, ec]);
    await sidePool.query(`UPDATE order_events SET created_at = now() WHERE id >= $1 AND id <> $2`, [eb, ec]);
    await runMaintenance(sidePool, 30, 'test');
    const hot = await eventIds('order_events');
    expect(hot).toContain(eb);
    expect(hot).toContain(ec);
    expect(hot).not.toContain(ea);
    expect(Math.min(...hot)).toBeGreaterThan(Math.max(...(await eventIds('order_events_archive'))));
  });
});

describe('migrations and readiness', () => {
  let name: string;
  let url: string;
  const migrationNames = async () => (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();

  beforeAll(() => {
    name = sideDatabaseName('migrate');
    sideDatabases.push(name);
    url = databaseUrlFor(name);
  });

  it('two npm run db:migrate started at once on a brand-new database both succeed and apply each migration once; a third applies nothing', async () => {
    expect(await databaseExists(name)).toBe(false);
    const env = { DATABASE_URL: url, NODE_ENV: 'test' };
    const [one, two] = await Promise.all([npmRun('db:migrate', [], env), npmRun('db:migrate', [], env)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const expected = await migrationNames();
    const rows = await queryOn(url, 'SELECT name, count(*)::int AS n FROM pgmigrations GROUP BY name ORDER BY name');
    expect(rows).toEqual(expected.map((n) => ({ name: n, n: 1 })));
    // one of them applied everything, the other found nothing left to do
    const outputs = [one.stdout, two.stdout];
    expect(outputs.filter((o) => o.includes(`applied ${expected.length} migration(s)`))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('database schema is up to date'))).toHaveLength(1);

    const third = await npmRun('db:migrate', [], env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('database schema is up to date');
    expect(await queryOn(url, 'SELECT count(*)::int AS n FROM pgmigrations')).toEqual([{ n: expected.length }]);
  }, 90_000);

  it('/readyz says not ready, naming the pending migration, while the database is behind the code, and ready again once it is not', async () => {
    const expected = await migrationNames();
    const last = expected.at(-1)!;
    const [removed] = await queryOn(url, 'DELETE FROM pgmigrations WHERE name = $1 RETURNING *', [last]);
    const { app: behind, base: behindBase } = await startTestApp({ DATABASE_URL: url });
    try {
      const res = await fetch(`${behindBase}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'not_ready',
        checks: { postgres: true, redis: true, schema: false, accepting: true },
        pendingMigrations: [last],
      });
      expect(await metricValue('ocpizza_schema_pending_migrations', {}, behindBase)).toBe(1);
      // alive all the same: liveness is not readiness
      expect((await fetch(`${behindBase}/healthz`)).status).toBe(200);

      await queryOn(url, 'INSERT INTO pgmigrations (id, name, run_on) VALUES ($1, $2, $3)', [removed.id, removed.name, removed.run_on]);
      const ok = await fetch(`${behindBase}/readyz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ status: 'ready', checks: { postgres: true, redis: true, schema: true, accepting: true } });
      expect(await metricValue('ocpizza_schema_pending_migrations', {}, behindBase)).toBe(0);
    } finally {
      await behind.close();
    }
  });
});

describe('monitoring', () => {
  it('GET /metrics is Prometheus text with request durations by route and status, sockets by role, relayed events and their lag, queue jobs, orders and pending migrations', async () => {
    const kitchen = await socketAs('kitchen.batignolles@ocpizza.test');
    const seen = collect(kitchen.socket);
    expect(await subscribe(kitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const relayedBefore = samplesOf(await metrics(), 'ocpizza_events_relayed_total', { type: 'order.status' })[0]?.value ?? 0;
    const lagCountBefore = samplesOf(await metrics(), 'ocpizza_relay_lag_seconds_count')[0]?.value ?? 0;

    const placed = await placePickup(SHOPS.batignolles);
    await move(kitchen.client, placed.id, 'preparing');
    await seen.waitFor((e) => e.order.id === placed.id && e.order.status === 'preparing');

    const m = await metrics();
    const posted = samplesOf(m, 'ocpizza_http_request_duration_seconds_count', { method: 'POST', route: '/api/orders', status: '201' });
    expect(posted).toHaveLength(1);
    expect(posted[0].value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_http_request_duration_seconds_bucket', { route: '/api/orders', status: '201', le: '+Inf' })[0].value).toBe(posted[0].value);
    // the route label is the route, not the URL: no order id in any label
    const routes = new Set(samplesOf(m, 'ocpizza_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect(routes).toContain('/api/orders/:id/status');
    expect([...routes].some((r) => r.includes(placed.id))).toBe(false);

    expect(samplesOf(m, 'ocpizza_sockets_connected', { role: 'kitchen' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_events_relayed_total', { type: 'order.status' })[0].value).toBeGreaterThan(relayedBefore);
    expect(samplesOf(m, 'ocpizza_relay_lag_seconds_count')[0].value).toBeGreaterThan(lagCountBefore);
    for (const queue of ['payments', 'prep-timers', 'dispatch', 'maintenance', 'notifications']) {
      const failed = samplesOf(m, 'ocpizza_queue_jobs', { queue, state: 'failed' });
      expect(failed, queue).toHaveLength(1);
      expect(Number.isFinite(failed[0].value)).toBe(true);
    }
    expect(samplesOf(m, 'ocpizza_orders', { pizzeria: 'batignolles', status: 'preparing' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(samplesOf(m, 'ocpizza_schema_pending_migrations')[0].value).toBe(0);
    expect(samplesOf(m, 'ocpizza_events_unpublished')[0].value).toBeGreaterThanOrEqual(0);
    expect(samplesOf(m, 'ocpizza_process_cpu_seconds_total')).toHaveLength(1); // default process metrics, prefixed

    // the socket leaves: the gauge follows
    const kitchensBefore = samplesOf(m, 'ocpizza_sockets_connected', { role: 'kitchen' })[0].value;
    kitchen.socket.disconnect();
    await waitUntil(async () => ((await metricValue('ocpizza_sockets_connected', { role: 'kitchen' })) ?? 0) < kitchensBefore, 5000, 'the socket gauge to drop');

    await move(kitchen.client, placed.id, 'ready');
    await move(kitchen.client, placed.id, 'collected');
  });

  it('echoes the x-request-id a client sends in the response header and in an error body, and makes one up otherwise', async () => {
    const bad = { pizzeriaId: SHOPS.bastille, fulfilment: 'pickup', items: [] };
    const given = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'support-ticket-42.a' },
      body: JSON.stringify(bad),
    });
    expect(given.status).toBe(422);
    expect(given.headers.get('x-request-id')).toBe('support-ticket-42.a');
    expect((await given.json()).error).toMatchObject({ code: expect.any(String), requestId: 'support-ticket-42.a' });

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const headers of [{}, { 'x-request-id': 'no spaces allowed; nor this' }, { 'x-request-id': 'x'.repeat(65) }] as Record<string, string>[]) {
      const res = await fetch(`${base}/api/orders/00000000-0000-0000-0000-000000000000`, { headers });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(uuid);
      expect((await res.json()).error.requestId).toBe(id);
    }
    // two requests, two ids; a success carries one too
    const a = await fetch(`${base}/api/pizzerias`);
    const b = await fetch(`${base}/api/pizzerias`);
    expect(a.headers.get('x-request-id')).toMatch(uuid);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it("the 'system' scope: head office sees every connected screen with its shop and connection time, the queues and the relay; a manager only their shop's screens; a kitchen is refused", async () => {
    const t0 = Date.now();
    const bastilleKitchen = await socketAs('kitchen.bastille@ocpizza.test');
    expect(await subscribe(bastilleKitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });
    const canalKitchen = await socketAs('kitchen.canal@ocpizza.test');
    expect(await subscribe(canalKitchen.socket, { scope: 'kitchen' })).toMatchObject({ data: {} });

    const statusOf = async (email: string) => {
      const { socket } = await socketAs(email);
      const next = new Promise<SystemStatus>((resolve) => socket.once('system:status', resolve));
      const ack = await subscribe(socket, { scope: 'system' });
      return { ack, status: await next };
    };
    const { rows } = await pool.query('SELECT coalesce(max(id), 0)::int AS last FROM order_events');

    const admin = await statusOf('admin@ocpizza.test');
    expect(admin.ack).toEqual({ data: { lastEventId: rows[0].last } });
    const mine = admin.status.screens.find((s) => s.socketId === bastilleKitchen.socket.id);
    expect(mine).toMatchObject({ role: 'kitchen', pizzeriaId: SHOPS.bastille, scopes: ['kitchen'], name: expect.any(String) });
    expect(Date.parse(mine!.connectedAt)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Date.parse(mine!.connectedAt)).toBeLessThanOrEqual(Date.now());
    expect(admin.status.screens.some((s) => s.socketId === canalKitchen.socket.id && s.pizzeriaId === SHOPS.canal)).toBe(true);
    // staff watching the operations page are not screens
    expect(admin.status.screens.every((s) => s.role !== 'admin' && s.role !== 'manager')).toBe(true);
    expect(admin.status.queues.map((q) => q.name).sort()).toEqual(['accounts', 'dispatch', 'maintenance', 'notifications', 'payments', 'prep-timers']);
    for (const q of admin.status.queues) expect(q).toEqual({ name: q.name, waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), failed: expect.any(Number) });
    expect(admin.status.relay).toMatchObject({ listening: true, lastEventId: rows[0].last });
    expect(admin.status.hub.pid).toBe(process.pid);
    expect(admin.status).toHaveProperty('backup'); // null until a first backup; the backup tests above cover its content

    const manager = await statusOf('manager.bastille@ocpizza.test');
    expect(manager.ack).toMatchObject({ data: {} });
    expect(manager.status.screens.some((s) => s.socketId === bastilleKitchen.socket.id)).toBe(true);
    expect(manager.status.screens.every((s) => s.pizzeriaId === SHOPS.bastille)).toBe(true);

    const { socket: kitchenWatcher } = await socketAs('kitchen.montmartre@ocpizza.test');
    let leaked = 0;
    kitchenWatcher.on('system:status', () => leaked++);
    expect(await subscribe(kitchenWatcher, { scope: 'system' })).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    // the status is pushed every 2 s to watchers: the refused one never gets it
    await new Promise((res) => setTimeout(res, 2300));
    expect(leaked).toBe(0);
    const anonymous = await connectSocket(base);
    openSockets.push(anonymous);
    expect(await subscribe(anonymous, { scope: 'system' })).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('configuration', () => {
  // the real entry points, run from an empty directory: a developer's .env (read in production) plays no part
  let emptyDir: string;
  beforeAll(async () => {
    emptyDir = await tmpDir('config');
  });
  const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const start = (entry: string, env: Record<string, string>) =>
    run(process.execPath, ['--import', tsx, join(process.cwd(), entry)], env, 30_000, emptyDir);
  const prodEnv = async () => ({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DEMO_PASSWORD: 'a-production-password',
    QUEUE_PREFIX: inject('queuePrefix'),
  });

  it('the production server and workers refuse to start without SESSION_SECRET, naming it', async () => {
    const env = await prodEnv();
    for (const entry of ['server/index.ts', 'workers/index.ts']) {
      const r = await start(entry, env);
      expect(r.code, `${entry}: ${r.stdout}`).not.toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stderr).toMatch(/SESSION_SECRET: required in production/);
    }
    // nothing listens on its port
    await expect(fetch(`http://127.0.0.1:${env.PORT}/healthz`)).rejects.toThrow();
  });

  it('a SESSION_SECRET that is too short is refused too, and so is a bad value of any variable', async () => {
    const env = await prodEnv();
    const short = await start('server/index.ts', { ...env, SESSION_SECRET: 'short' });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/SESSION_SECRET: at least 32 characters/);
    const badPort = await start('server/index.ts', { ...env, SESSION_SECRET: 's'.repeat(40), PORT: 'eighty' });
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr).toMatch(/PORT: /);
  });
});

describe('running behind a balancer', () => {
  it('keeps serving pages and orders while Redis is away, saying it is degraded, and its probes and metrics still answer', async () => {
    const { app: noRedis, base } = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: `${inject('queuePrefix')}_noredis` });
    try {
      const started = Date.now();
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { postgres: true, redis: false, schema: true } });
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(6000);
      // an order still goes through: the rate limiter lets it pass when it cannot count
      const pool = testPool();
      try {
        const placed = await new Client(base).post('/api/orders', {
          pizzeriaId: SHOPS.canal,
          fulfilment: 'pickup',
          customer,
          items: [{ productId: await productId(pool, 'coca-cola'), quantity: 1 }],
          payment: 'on_delivery',
        });
        expect(placed.status).toBe(201);
      } finally {
        await pool.end();
      }
    } finally {
      await noRedis.close();
    }
  });

  it('guards /metrics with a bearer token when METRICS_TOKEN is set, and counts staff screens per shop', async () => {
    const token = 'metrics-token-for-tests-0123456789';
    const { app: guarded, base } = await startTestApp({ METRICS_TOKEN: token, QUEUE_PREFIX: `${inject('queuePrefix')}_metrics` });
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      const kitchen = await new Client(base).login('kitchen.montparnasse@ocpizza.test');
      const socket = await connectSocket(base, { cookie: kitchen.cookie });
      try {
        await subscribe(socket, { scope: 'kitchen' });
        const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        const samples = parsePrometheus(await res.text());
        expect(samplesOf(samples, 'ocpizza_screens_connected', { pizzeria: 'montparnasse', role: 'kitchen' })[0]?.value).toBe(1);
        expect(samplesOf(samples, 'ocpizza_screens_connected', { pizzeria: 'canal', role: 'kitchen' })).toEqual([]);
      } finally {
        socket.close();
      }
    } finally {
      await guarded.close();
    }
  });

  it('with SHUTDOWN_DRAIN_MS, keeps answering (not ready) for that long before it stops listening', async () => {
    const { app: draining, base } = await startTestApp({ SHUTDOWN_DRAIN_MS: '2500', QUEUE_PREFIX: `${inject('queuePrefix')}_drain` });
    const closing = draining.close();
    await new Promise((r) => setTimeout(r, 200));
    const during = await fetch(`${base}/readyz`);
    expect(during.status).toBe(503);
    expect((await during.json()).checks.accepting).toBe(false);
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('inside the image', () => {
  it('the compiled commands a container runs (node dist/db/migrate.js, seed.js, backup.js, maintenance.js) work as their npm forms do', async () => {
    const side = await createSideDatabase('compiled');
    const dir = await mkdtemp(join(tmpdir(), 'ocpizza-compiled-'));
    try {
      const env = { DATABASE_URL: side.url, BACKUP_DIR: dir, DEMO_PASSWORD: inject('demoPassword'), NODE_ENV: 'test' };
      const migrateRun = await run('node', ['dist/db/migrate.js'], env);
      expect(migrateRun.code, migrateRun.stderr).toBe(0);
      expect(migrateRun.stdout).toMatch(/applied \d+ migration/);
      const seedRun = await run('node', ['dist/db/seed.js'], env);
      expect(seedRun.code, seedRun.stderr).toBe(0);
      const backupRun = await run('node', ['dist/db/backup.js'], env);
      expect(backupRun.code, backupRun.stderr).toBe(0);
      expect((await readdir(dir)).filter((f) => /^ocpizza-.*\.dump$/.test(f))).toHaveLength(1);
      const maintenanceRun = await run('node', ['dist/db/maintenance.js'], env);
      expect(maintenanceRun.code, maintenanceRun.stderr).toBe(0);
      expect(maintenanceRun.stdout).toMatch(/"msg":"maintenance done"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await side.drop();
    }
  }, 90_000);
});
