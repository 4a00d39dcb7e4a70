// The end of a chain, anchored: an auditor with the database's superuser rights deletes a shop's
// last entries, moves the chain's head back to the entry kept and turns the triggers on again, so
// that the chain alone verifies. The JET's checkpoints (and closings) name the head the chain had
// reached, and the anchor file outside the database names it too, the JET's own head with it:
// `npm run fiscal:verify` reports the chain cut, with the missing range, and exits 1; cut the JET
// back as well (its checkpoints with it), and the anchor file still shows both cuts.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, run, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { JET_CHAIN, shopChain } from '../../src/lib/domain/fiscal-chain.ts';
import { appendCheckpointIn, checkpoint, fileAnchors } from '../../src/lib/server/fiscal/anchors.ts';
import { fiscalKeyFromPem, type FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { closeDaysUpTo } from '../../src/lib/server/fiscal/closings.ts';
import { journalOrders } from '../../src/lib/server/fiscal/order-facts.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { transaction } from '../../src/lib/server/kernel/db.ts';

const stack = useStack();
const keyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const dir = mkdtempSync(join(tmpdir(), 'anchors-'));
const anchorFile = join(dir, 'fiscal-anchors.jsonl');
let key: FiscalKey;
let shop: Awaited<ReturnType<typeof createShop>>;
let chain: string;
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  key = fiscalKeyFromPem(keyPem);
  await recordKeyInUse(stack.pool, key);
  shop = await createShop(stack.pool, 'anchored');
  chain = shopChain(shop.id);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An order taken at the counter, paid in cash when collected: a sale in the shop's chain. */
async function sell(): Promise<string> {
  const counter = await new Client(stack.base).login(shop.email('counter'));
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  await move(counter, r.body.id, 'collected');
  await journalOrders(stack.pool, key, [r.body.id]);
  return r.body.id;
}

/** What an attacker with the superuser's rights does: the triggers off, rows changed, the triggers on again. */
async function asSuperuser(statements: [string, unknown[]][]) {
  const c = await stack.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('ALTER TABLE fiscal_entries DISABLE TRIGGER USER');
    await c.query('ALTER TABLE fiscal_chains DISABLE TRIGGER USER');
    for (const [sql, params] of statements) await c.query(sql, params);
    await c.query('ALTER TABLE fiscal_entries ENABLE TRIGGER USER');
    await c.query('ALTER TABLE fiscal_chains ENABLE TRIGGER USER');
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

/** The chain cut back to `keep` entries, its head moved back to the entry kept. */
const cutTo = (name: string, keep: number): [string, unknown[]][] => [
  ['DELETE FROM fiscal_entries WHERE chain = $1 AND seq > $2', [name, keep]],
  ['UPDATE fiscal_chains c SET last_seq = e.seq, last_signature = e.signature FROM fiscal_entries e WHERE c.chain = $1 AND e.chain = $1 AND e.seq = $2', [name, keep]],
];

const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const verifyCli = (args: string[], anchors = anchorFile) =>
  run(process.execPath, ['--import', tsx, 'scripts/fiscal-verify.ts', ...args], { DATABASE_URL: stack.config.DATABASE_URL, NODE_ENV: 'test', FISCAL_SIGNING_KEY: keyPem, FISCAL_ANCHOR_FILE: anchors }, 60_000);

describe('the end of every chain, anchored', () => {
  it('a checkpoint names the heads that moved, in the JET and in the anchor file, and nothing when none moved', async () => {
    for (let i = 0; i < 4; i++) await sell();
    const head = (await stack.pool.query('SELECT last_seq, last_signature FROM fiscal_chains WHERE chain = $1', [chain])).rows[0];
    expect(Number(head.last_seq)).toBeGreaterThanOrEqual(4);
    const first = await checkpoint(stack.pool, key, anchorFile);
    expect(first).toMatchObject({ chain: JET_CHAIN, kind: 'checkpoint', body: { reason: 'minute', heads: expect.arrayContaining([{ chain, seq: Number(head.last_seq), signature: head.last_signature }]) } });
    // nothing moved since: no checkpoint (counted without the overlap a commit of the same moment gets)
    expect(await checkpoint(stack.pool, key, anchorFile, 0)).toBeNull();
    const lines = readFileSync(anchorFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    // the file names the JET's own head (the checkpoint) first, then the shops'
    expect(lines[0].heads[0]).toEqual({ chain: JET_CHAIN, seq: first!.seq, signature: first!.signature });
    expect(lines[0].heads).toContainEqual({ chain, seq: Number(head.last_seq), signature: head.last_signature });
    expect((await fileAnchors(anchorFile)).anchors.get(chain)).toEqual([{ seq: Number(head.last_seq), signature: head.last_signature, where: `${anchorFile}, line 1` }]);
    const ok = await verifyCli(['--shop', shop.slug]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^anchors: \d+ heads named by the technical events journal, \d+ in .*fiscal-anchors\.jsonl \(1 lines\)$/m);
  });

  it('a shop\'s last two entries deleted and its head moved back by a superuser: fiscal:verify reports the chain cut, with the missing range, and exits 1', async () => {
    const last = Number((await stack.pool.query('SELECT last_seq FROM fiscal_chains WHERE chain = $1', [chain])).rows[0].last_seq);
    const keep = last - 2;
    await asSuperuser(cutTo(chain, keep));
    // the chain alone is sound: entries 1..keep, linked and signed, its head where they end
    const alone = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(alone.chains).toEqual([expect.objectContaining({ chain, lastSeq: keep, broken: expect.objectContaining({ kind: 'cut', seq: keep + 1 }) })]);
    const cut = await verifyCli(['--shop', shop.slug]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(new RegExp(`^BROKEN ${chain} \\(${shop.slug}\\): entry ${keep + 1}: cut: the chain ends at ${keep}, before the head it was seen to reach, ${last} \\(.*\\): entries ${keep + 1} to ${last} are missing, cut from its end`, 'm'));
    // the verification that failed is itself in the JET
    const failed = await stack.pool.query(`SELECT body FROM fiscal_entries WHERE chain = $1 AND kind = 'verification_failed' AND body->>'chain' = $2`, [JET_CHAIN, chain]);
    expect(failed.rows.map((r) => r.body.break)).toContain('cut');
  });

  it('the JET cut back too, its checkpoints with it: the anchor file still shows both chains cut', async () => {
    const jetAt = Number((await stack.pool.query(`SELECT min(seq) AS seq FROM fiscal_entries WHERE chain = $1 AND kind = 'checkpoint'`, [JET_CHAIN])).rows[0].seq);
    await asSuperuser(cutTo(JET_CHAIN, jetAt - 1));
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE chain = $1 AND kind = 'checkpoint'`, [JET_CHAIN])).rows[0].n).toBe(0);
    // without the file, nothing shows it any more: the journal alone is not enough against its own superuser
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).chains[0].broken).toBeNull();
    const cut = await verifyCli([]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(new RegExp(`^BROKEN ${JET_CHAIN}: entry ${jetAt}: cut: .*fiscal-anchors\\.jsonl, line 1\\): `, 'm'));
    expect(cut.stdout).toMatch(new RegExp(`^BROKEN ${chain} \\(${shop.slug}\\): entry \\d+: cut: `, 'm'));
  });

  it('a chain that goes on past its anchor is sound, and a closing\'s entry anchors its shop\'s chain by itself', async () => {
    const before = shop;
    shop = await createShop(stack.pool, 'anchored-on');
    const otherChain = shopChain(shop.id);
    try {
      const [sold] = [await sell(), await sell()];
      const entry = await transaction(stack.pool, (tx) => appendCheckpointIn(tx, key, { reason: 'asked', chains: [otherChain] }));
      expect(entry?.body).toMatchObject({ reason: 'asked', heads: [{ chain: otherChain, seq: 2 }] });
      await sell();
      expect((await verifyJournal(stack.pool, { shop: shop.slug })).chains).toEqual([expect.objectContaining({ chain: otherChain, lastSeq: 3, broken: null })]);
      // the day closed: its closing entry ends the chain, and the JET's closing names it
      const day = (await stack.pool.query('SELECT business_day::text AS day FROM orders WHERE id = $1', [sold])).rows[0].day;
      const { written } = await closeDaysUpTo(stack.pool, key, shop.id, day, { operator: 'system', yearStartMonth: 1 });
      const closing = written.find((e) => e.chain === otherChain)!;
      expect(closing.seq).toBe(4);
      await asSuperuser(cutTo(otherChain, 3));
      // on a month's last day, its closing is followed by the month's (entry 5): then both are cut
      const report = await verifyJournal(stack.pool, { shop: shop.slug });
      expect(report.chains[0].broken).toMatchObject({ kind: 'cut', seq: 4, reason: expect.stringMatching(/closing in the JET, entry \d+\): (entry 4 is|entries 4 to \d+ are) missing/) });
    } finally {
      shop = before;
    }
  });
});
