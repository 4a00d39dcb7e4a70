// Signed archives, offline verification and the technical events journal, against real Postgres:
// an archive of a shop's period is kept (never changed, never removed, not by the weekly
// maintenance either), written in the JET, and verified by `npm run fiscal:verify -- --archive`
// with no database at all, which fails on one flipped byte; a verification against the database
// trusts the operator's keys, not the database's, and a failed one is in the JET; the workers'
// journal writes its start and stop, the migrations applied, a fiscal setting changed and a clock
// gone backwards; a backup restored into a fresh database verifies, and the restore is in its JET.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShop, createSideDatabase, databaseUrlFor, dropDatabase, npmRun, sideDatabaseName, silentLog, testPool } from '../helpers.ts';
import { JET_CHAIN, shopChain, type EntryDraft } from '../../src/lib/domain/fiscal-chain.ts';
import { transaction } from '../../src/lib/server/kernel/db.ts';
import { archiveFile, listArchives, makeArchive } from '../../src/lib/server/fiscal/archive.ts';
import { recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { checkClock, journalMigrations, journalSettings, newInstance, recordSettingChangeIn } from '../../src/lib/server/fiscal/jet-events.ts';
import { appendEntries, entryOf, lockChain } from '../../src/lib/server/fiscal/journal.ts';
import { fiscalKeyFromPem, publicKeysFromPem, type FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { verifyAndRecord, verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { runMaintenance } from '../../src/lib/server/operations/maintenance.ts';
import { createFiscalJournal } from '../../workers/fiscal-journal.ts';
import { fileDatabase } from '../file-database.ts';

const newPem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keyPem = newPem();
const key: FiscalKey = fiscalKeyFromPem(keyPem);
const pool = testPool();
const dir = mkdtempSync(join(tmpdir(), 'ocp-fiscal-archive-'));
const pubFile = join(dir, 'operator-public-keys.pem');
writeFileSync(pubFile, key.publicKeyPem);

const draft = (shopId: number, n: number): EntryDraft => ({
  kind: 'sale', sourceKey: `archive-test:${shopId}:${n}:${Math.random()}`, occurredAt: new Date().toISOString(), operator: 'counter:1', orderId: null,
  body: { lines: [{ name: 'Margherita', quantity: 1, unitCents: 1050, rateBp: 1000 }], vat: [{ rateBp: 1000, netCents: 955, vatCents: 95, grossCents: 1050 }] },
  salesCents: 1050, vatCents: 95, moneyCents: 1050,
});
const append = (q: pg.Pool, shopId: number, from: number, count: number, k = key) =>
  transaction(q, async (tx) => appendEntries(tx, shopChain(shopId), await lockChain(tx, shopChain(shopId)), Array.from({ length: count }, (_, i) => draft(shopId, from + i)), k));
const jetEntries = async (q: pg.Pool, kind: string) =>
  (await q.query(`SELECT * FROM fiscal_entries WHERE chain = 'jet' AND kind = $1 ORDER BY seq`, [kind])).rows.map(entryOf);
/** A change made as a superuser with the triggers off: how someone with the database's keys would. */
async function asSuperuser(sql: string, params: unknown[] = []) {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(sql, params);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}
/** The command line with no database in its environment (nothing to reach). */
const offline = (args: string[]) => npmRun('fiscal:verify', args, { NODE_ENV: 'test', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 60_000);

beforeAll(async () => {
  await recordKeyInUse(pool, key);
});
afterAll(async () => {
  await pool.end();
});

describe('a signed archive of a period', () => {
  let shop: Awaited<ReturnType<typeof createShop>>;
  let file: string;
  let periodStart: Date;

  beforeAll(async () => {
    shop = await createShop(pool, 'archive');
    await append(pool, shop.id, 1, 3);
    await new Promise((r) => setTimeout(r, 20));
    periodStart = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await append(pool, shop.id, 4, 5);
  });

  it('holds the period\'s part of the shop\'s chain and of the JET, is kept with its SHA-256 and written in the JET', async () => {
    const archive = await makeArchive(pool, key, { shop: shop.id, from: periodStart, to: new Date(Date.now() + 60_000), actor: 'admin:1' });
    expect(archive).toMatchObject({ shopId: shop.id, shop: shop.slug, createdBy: 'admin:1', keyId: key.keyId });
    expect(archive.fileName).toMatch(new RegExp(`^ocpizza-fiscal-${shop.slug}-\\d{4}-\\d{2}-\\d{2}_\\d{4}-\\d{2}-\\d{2}-n${archive.id}\\.tar\\.gz$`));
    // kept until six years after the period's end
    expect(Number(archive.keepUntil.slice(0, 4))).toBe(new Date(archive.periodTo).getUTCFullYear() + 6);
    const { rows: [row] } = await pool.query('SELECT manifest, size, sha256 FROM fiscal_archives WHERE id = $1', [archive.id]);
    const part = row.manifest.chains.find((c: { chain: string }) => c.chain === shopChain(shop.id));
    // entries 4 to 8 only, hanging on entry 3
    expect(part).toMatchObject({ entries: 5, from: { lastSeq: 3 }, to: { lastSeq: 8 } });
    expect(row.manifest.chains.map((c: { chain: string }) => c.chain)).toEqual([JET_CHAIN, shopChain(shop.id)]);
    expect(row.manifest.keys.map((k: { keyId: string }) => k.keyId)).toContain(key.keyId);

    const [event] = (await jetEntries(pool, 'archive')).filter((e) => e.body.archiveId === archive.id);
    expect(event).toMatchObject({ operator: 'admin:1', body: { sha256: row.sha256, bytes: row.size, file: archive.fileName } });

    const kept = await archiveFile(pool, archive.id);
    file = join(dir, kept!.fileName);
    writeFileSync(file, kept!.bytes);
  });

  it('npm run fiscal:verify -- --archive passes with no database, with the operator\'s public key, and fails on one flipped byte, saying what broke', async () => {
    const ok = await offline(['--archive', file, '--public-key', pubFile]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^OK ${shopChain(shop.id)} \\(${shop.slug}\\): 5 entries, last 8, signed by ${key.keyId}$`, 'm'));
    expect(ok.stdout).toMatch(/^keys: checked against the 1 public key\(s\) given$/m);
    expect(ok.stdout).toMatch(/^archive OK$/m);

    const bytes = readFileSync(file);
    for (const at of [5, Math.floor(bytes.length / 2), bytes.length - 3]) {
      const flipped = Buffer.from(bytes);
      flipped[at] ^= 0x20;
      const bad = join(dir, `flipped-${at}.tar.gz`);
      writeFileSync(bad, flipped);
      const r = await offline(['--archive', bad]);
      expect(r.code, `byte ${at}`).toBe(1);
      expect(r.stdout).toMatch(/^BROKEN file: container: /m);
      expect(r.stdout).toMatch(/^archive BROKEN$/m);
    }

    // checked against a key the operator holds that did not sign it: named
    const stranger = join(dir, 'stranger.pem');
    writeFileSync(stranger, fiscalKeyFromPem(newPem()).publicKeyPem);
    const unknown = await offline(['--archive', file, '--public-key', stranger]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/unknown_key: the manifest is signed by key \w+, which is not among the operator's public keys/);
  }, 120_000);

  it('is never changed nor removed, the weekly maintenance leaves it, and the same yearly archive asked twice is made once', async () => {
    const [archive] = await listArchives(pool, { limit: 1 });
    await expect(pool.query('UPDATE fiscal_archives SET created_by = $2 WHERE id = $1', [archive.id, 'someone'])).rejects.toThrow(/refused/);
    await expect(pool.query('DELETE FROM fiscal_archives WHERE id = $1', [archive.id])).rejects.toThrow(/refused/);
    await expect(pool.query('TRUNCATE fiscal_archives')).rejects.toThrow(/refused/);
    const before = (await pool.query('SELECT id, sha256 FROM fiscal_archives ORDER BY id')).rows;
    await runMaintenance(pool, 90, 'test');
    expect((await pool.query('SELECT id, sha256 FROM fiscal_archives ORDER BY id')).rows).toEqual(before);

    const year = { shop: shop.id, from: new Date('2025-01-01T00:00:00+01:00'), to: new Date('2026-01-01T00:00:00+01:00'), actor: 'system', ifAbsent: true };
    const first = await makeArchive(pool, key, year);
    const again = await makeArchive(pool, key, year);
    expect(again.id).toBe(first.id);
    expect(first.entries).toBe(0);
  });
});

describe('a verification against the database', () => {
  it('trusts the operator\'s keys only: entries re-signed by a key the database recorded but the operator does not hold are reported', async () => {
    const shop = await createShop(pool, 'intruder');
    const intruder = fiscalKeyFromPem(newPem());
    await recordKeyInUse(pool, intruder);
    await append(pool, shop.id, 1, 2, intruder);
    await recordKeyInUse(pool, key);
    // by the database's own account, sound
    expect((await verifyJournal(pool, { shop: shop.slug })).ok).toBe(true);
    const r = await verifyJournal(pool, { shop: shop.slug, operatorKeys: publicKeysFromPem(key.publicKeyPem) });
    expect(r.ok).toBe(false);
    expect(r.chains[0].broken).toMatchObject({ seq: 1, kind: 'unknown_key', reason: expect.stringContaining("not among the operator's public keys (the journal recorded it") });
    expect(r.keysUnknownToOperator).toContain(intruder.keyId);

    // the command line, with the operator's public key file
    const cli = await npmRun('fiscal:verify', ['--shop', shop.slug, '--public-key', pubFile], { NODE_ENV: 'test', DATABASE_URL: fileDatabase().databaseUrl, FISCAL_SIGNING_KEY: keyPem }, 60_000);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(new RegExp(`^UNKNOWN KEY ${intruder.keyId}: `, 'm'));
    expect(cli.stdout).toMatch(new RegExp(`^BROKEN ${shopChain(shop.id)} \\(${shop.slug}\\): entry 1: unknown_key: `, 'm'));
  }, 90_000);

  it('that fails is written to the JET as verification_failed, once per break found', async () => {
    const shop = await createShop(pool, 'tampered');
    await append(pool, shop.id, 1, 4);
    await asSuperuser(`UPDATE fiscal_entries SET money_cents = 1 WHERE chain = $1 AND seq = 2`, [shopChain(shop.id)]);
    const report = await verifyAndRecord(pool, key, 'manager:7', { shop: shop.slug });
    expect(report.chains[0].broken).toMatchObject({ seq: 2, kind: 'bad_signature' });
    await verifyAndRecord(pool, key, 'manager:7', { shop: shop.slug });
    const failed = (await jetEntries(pool, 'verification_failed')).filter((e) => e.body.chain === shopChain(shop.id));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ operator: 'manager:7', keyId: key.keyId, body: { seq: 2, break: 'bad_signature', shop: shop.slug } });
  });
});

describe('the technical events journal', () => {
  it('has the workers\' start and stop, the migrations applied, and a fiscal setting changed between two starts', async () => {
    // the journal starts from the newest event: other files' orders are not this test's
    await pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);
    const setting = `TEST_FISCAL_SETTING_${Math.random().toString(36).slice(2, 8)}`;
    const run = async (value: string) => {
      const proc = newInstance('workers', 'test');
      const journal = createFiscalJournal({ db: pool, key, log: silentLog, process: proc, settings: { [setting]: value } });
      await journal.catchUp();
      await journal.close();
      return proc;
    };
    const first = await run('a');
    const start = (await jetEntries(pool, 'start')).find((e) => e.body.instance === first.instance);
    const stop = (await jetEntries(pool, 'stop')).find((e) => e.body.instance === first.instance);
    expect(start).toMatchObject({ operator: 'system', body: { role: 'workers', version: 'test', keyId: key.keyId } });
    expect(stop!.seq).toBeGreaterThan(start!.seq);

    const migrations = await jetEntries(pool, 'migration');
    expect(migrations.map((e) => e.body.migration)).toEqual(expect.arrayContaining(['0066_fiscal_journal', '0069_fiscal_archives']));
    expect(await journalMigrations(pool, key)).toEqual([]);

    await run('a');
    await run('b');
    const changes = (await jetEntries(pool, 'setting_change')).filter((e) => e.body.setting === setting);
    expect(changes.map((e) => [e.body.from, e.body.to])).toEqual([[null, 'a'], ['a', 'b']]);
    expect(await journalSettings(pool, key, { [setting]: 'b' })).toEqual([]);

    // a feature that keeps a fiscal setting writes its change in its own transaction
    const e = await transaction(pool, (tx) => recordSettingChangeIn(tx, key, { setting: 'shop:1:siret', from: null, to: '12345678900011', actor: 'admin:1' }));
    expect(e).toMatchObject({ kind: 'setting_change', operator: 'admin:1', body: { setting: 'shop:1:siret', to: '12345678900011' } });
  });

  it('has the clock gone backwards: a time earlier than the last the journal wrote down', async () => {
    expect(await checkClock(pool, key)).toBeNull();
    const behind = await checkClock(pool, key, Date.now() - 3_600_000);
    expect(behind).toMatchObject({ kind: 'clock_backwards', chain: JET_CHAIN, operator: 'system' });
    expect(behind!.body.behindMs).toBeGreaterThan(3_500_000);
    expect(behind!.keyId).toBe(key.keyId);
  });
});

describe('a backup restored into a fresh database', () => {
  let side: Awaited<ReturnType<typeof createSideDatabase>>;
  const restored: string[] = [];
  beforeAll(async () => {
    side = await createSideDatabase('fiscal-backup', { seed: true });
  }, 120_000);
  afterAll(async () => {
    for (const name of restored) await dropDatabase(name);
    await side?.drop();
  });

  it('verifies its fiscal journal and has the restore in its JET; one tampered with before the backup is reported and in the JET too', async () => {
    const p = new pg.Pool({ connectionString: side.url, max: 2 });
    try {
      await recordKeyInUse(p, key);
      await append(p, 1, 1, 4);
      const env = { NODE_ENV: 'test', DATABASE_URL: side.url, BACKUP_DIR: join(dir, 'backups'), FISCAL_SIGNING_KEY: keyPem };
      const backup = async () => {
        const r = await npmRun('db:backup', [], env, 90_000);
        expect(r.code, r.stderr).toBe(0);
        return r.stdout.trim().split('\n').at(-1)!;
      };
      const restore = async (dump: string, code = 0) => {
        const name = sideDatabaseName('fiscal-restored');
        restored.push(name);
        const r = await npmRun('db:restore', [dump, '--to', databaseUrlFor(name)], env, 90_000);
        expect(r.code, r.stderr).toBe(code);
        return { r, url: databaseUrlFor(name) };
      };

      const sound = await restore(await backup());
      expect(sound.r.stdout).toMatch(/^fiscal journal OK shop:1: 4 entries, last 4$/m);
      expect(sound.r.stdout).toMatch(/the restore is written in the technical events journal$/m);
      const q = new pg.Pool({ connectionString: sound.url, max: 1 });
      try {
        const [event] = await jetEntries(q, 'restore');
        expect(event).toMatchObject({ keyId: key.keyId, body: { verified: true, backup: expect.stringMatching(/^ocpizza-.*\.dump$/) } });
        expect(event.body.chains).toEqual(expect.arrayContaining([{ chain: 'shop:1', entries: 4, lastSeq: 4, broken: null }]));
        const report = await verifyJournal(q, { operatorKeys: publicKeysFromPem(key.publicKeyPem) });
        expect(report.chains.map((c) => [c.chain, c.broken])).toEqual([[JET_CHAIN, null], ['shop:1', null]]);
        expect(report.ok).toBe(true);
      } finally {
        await q.end();
      }

      // entry 3 altered by a superuser before the backup
      const c = await p.connect();
      try {
        await c.query('BEGIN');
        await c.query('SET LOCAL session_replication_role = replica');
        await c.query(`UPDATE fiscal_entries SET sales_cents = 1 WHERE chain = 'shop:1' AND seq = 3`);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
      // restored all the same (the data is back), but the command says the journal does not verify: exit 3
      const tampered = await restore(await backup(), 3);
      expect(tampered.r.stderr).toMatch(/^fiscal journal BROKEN shop:1: entry 3: bad_signature: /m);
      expect(tampered.r.stderr).toMatch(/^the restored fiscal journal does not verify/m);
      const t = new pg.Pool({ connectionString: tampered.url, max: 1 });
      try {
        expect((await jetEntries(t, 'restore'))[0].body).toMatchObject({ verified: false });
        expect((await jetEntries(t, 'verification_failed'))[0].body).toMatchObject({ chain: 'shop:1', seq: 3, break: 'bad_signature' });
      } finally {
        await t.end();
      }
      expect(readdirSync(join(dir, 'backups')).length).toBe(2);
    } finally {
      await p.end();
    }
  }, 240_000);
});
