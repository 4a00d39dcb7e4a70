import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, useApp } from './harness.ts';
import { createShop } from '../helpers.ts';
import { shopChain } from '../../src/lib/domain/fiscal-chain.ts';
import { transaction } from '../../src/lib/server/kernel/db.ts';
import { verifyArchiveFile } from '../../src/lib/server/fiscal/archive.ts';
import { recordedKeys, recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { appendEntries, lockChain } from '../../src/lib/server/fiscal/journal.ts';
import { appendCheckpointIn } from '../../src/lib/server/fiscal/anchors.ts';
import { fiscalKeyFromPem, publicKeysFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { fileDatabase } from '../file-database.ts';

// The fiscal journal's verification and archives in the built app and Chromium: head office checks
// a shop's chain (whole: its count and last number), then finds the entry a superuser altered, with
// its number and why; makes a signed archive of the shop, downloads it and it verifies offline; a
// manager can check their own shop only. Screenshots at 1440×900.
const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const key = fiscalKeyFromPem(pem);
// the operator keeps the public halves of the keys that signed before this one (earlier files' keys, in a full run)
const earlier = join(mkdtempSync(join(tmpdir(), 'ocp-fiscal-ui-')), 'fiscal-public-keys.pem');
{
  const pool = new pg.Pool({ connectionString: fileDatabase().databaseUrl, max: 1 });
  writeFileSync(earlier, [key.publicKeyPem, ...(await recordedKeys(pool)).map((k) => k.publicKeyPem)].join('\n'));
  await pool.end();
}
const app = useApp('fiscal-verify', { FISCAL_SIGNING_KEY: pem, FISCAL_PUBLIC_KEYS_FILE: earlier });
const VIEW = { width: 1440, height: 900 };

describe('the fiscal journal in the back office', () => {
  it('head office verifies a shop\'s chain, sees the entry altered by its number, and makes and downloads a signed archive', async () => {
    const shop = await createShop(app.pool, 'fiscal-ui');
    const chain = shopChain(shop.id);
    await recordKeyInUse(app.pool, key);
    await transaction(app.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), Array.from({ length: 6 }, (_, i) => ({
      kind: 'sale', sourceKey: `ui:${shop.id}:${i}`, occurredAt: new Date().toISOString(), operator: 'counter:1', orderId: null,
      body: { lines: [{ name: 'Margherita', quantity: 1, unitCents: 1050, rateBp: 1000 }] }, salesCents: 1050, vatCents: 95, moneyCents: 1050,
    })), key));

    const { page } = await app.staffPage('admin@ocpizza.test', VIEW);
    await page.goto(`${app.base}/manager/fiscal/verify`);
    await page.locator('select[name=shop]').selectOption(shop.slug);
    await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
    const row = page.locator(`tr[data-chain="${chain}"]`);
    await row.waitFor();
    expect(await page.getByTestId('verdict').textContent()).toBe('Journal intègre');
    expect(await row.getByTestId('entries').textContent()).toBe('6');
    expect(await row.getByTestId('last').textContent()).toBe('6');
    await page.screenshot({ path: `${SHOTS}/fiscal-verify-1-whole.png`, fullPage: true });
    expect(await seriousViolations(page), 'verification page').toEqual([]);

    // entry 4 altered by someone with the database's keys (triggers off)
    const c = await app.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query('UPDATE fiscal_entries SET sales_cents = 50 WHERE chain = $1 AND seq = 4', [chain]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
    await page.getByText('Journal rompu').waitFor();
    expect(await row.getByTestId('broken-seq').textContent()).toBe('Écriture n° 4');
    expect(await row.textContent()).toContain('son contenu a été modifié');
    expect(await row.getByTestId('entries').textContent()).toBe('3');
    await page.screenshot({ path: `${SHOTS}/fiscal-verify-2-broken.png`, fullPage: true });
    const { rows: failed } = await app.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'verification_failed' AND body->>'chain' = $1`, [chain]);
    expect(failed).toMatchObject([{ operator: expect.stringMatching(/^admin:\d+$/), body: { seq: 4, break: 'bad_signature' } }]);
    await app.pool.query('BEGIN; SET LOCAL session_replication_role = replica; UPDATE fiscal_entries SET sales_cents = 1050 WHERE chain = \'' + chain + '\' AND seq = 4; COMMIT;');

    // the archives: one made for the shop over this year, listed, downloaded, verified
    await page.getByRole('link', { name: 'Archives fiscales' }).click();
    await page.waitForURL(`${app.base}/manager/fiscal/archives`);
    await page.locator('form.make select[name=shop]').selectOption(String(shop.id));
    await page.getByRole('button', { name: 'Archiver et signer' }).click();
    await page.getByText(/Archive n° \d+ faite, signée/).waitFor();
    const id = Number((await page.getByText(/Archive n° \d+ faite/).textContent())!.match(/n° (\d+)/)![1]);
    const archiveRow = page.locator(`tr[data-archive="${id}"]`);
    expect(await archiveRow.textContent()).toContain(`OC Pizza ${shop.slug}`);
    await archiveRow.getByRole('button', { name: 'Vérifier' }).click();
    await page.getByTestId('check-result').waitFor();
    expect(await page.getByTestId('check-result').textContent()).toContain(`Archive n° ${id} vérifiée`);
    await page.screenshot({ path: `${SHOTS}/fiscal-archives-1-made.png`, fullPage: true });
    expect(await seriousViolations(page), 'archives page').toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download'), archiveRow.getByRole('link', { name: 'Télécharger' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^ocpizza-fiscal-${shop.slug}-.*-n${id}\\.tar\\.gz$`));
    // offline, with the keys the operator kept: every key this install signed with (the run's other
    // files sign the technical events journal with keys of their own)
    const kept = [...publicKeysFromPem(key.publicKeyPem), ...(await recordedKeys(app.pool))];
    const report = await verifyArchiveFile(await readFile((await download.path())!), kept);
    expect(report.problems).toEqual([]);
    expect(report.chains.find((x) => x.chain === chain)).toMatchObject({ entries: 6, lastSeq: 6, broken: null });

    // a manager checks their own shop only; the archives are head office's
    const { page: manager } = await app.staffPage(shop.email('manager'), VIEW);
    await manager.goto(`${app.base}/manager/fiscal/verify`);
    expect(await manager.locator('select[name=shop] option').allTextContents()).toEqual([`OC Pizza ${shop.slug}`]);
    await manager.getByRole('button', { name: 'Vérifier maintenant' }).click();
    await manager.locator(`tr[data-chain="${chain}"]`).waitFor();
    expect(await manager.locator('tr[data-chain]').count()).toBe(1);
    await manager.screenshot({ path: `${SHOTS}/fiscal-verify-3-manager.png`, fullPage: true });
    expect((await manager.goto(`${app.base}/manager/fiscal/archives`))!.status()).toBe(403);
  }, 180_000);

  it('head office sees a shop\'s chain cut from its end (its last entries deleted, its head moved back) reported as cut, with the missing entries', async () => {
    const shop = await createShop(app.pool, 'fiscal-cut');
    const chain = shopChain(shop.id);
    await recordKeyInUse(app.pool, key);
    await transaction(app.pool, async (tx) => appendEntries(tx, chain, await lockChain(tx, chain), Array.from({ length: 5 }, (_, i) => ({
      kind: 'sale', sourceKey: `cut:${shop.id}:${i}`, occurredAt: new Date().toISOString(), operator: 'counter:1', orderId: null,
      body: { lines: [{ name: 'Reine', quantity: 1, unitCents: 1250, rateBp: 1000 }] }, salesCents: 1250, vatCents: 114, moneyCents: 1250,
    })), key));
    // the minute's checkpoint names the head the chain reached
    await transaction(app.pool, (tx) => appendCheckpointIn(tx, key, { reason: 'asked', chains: [chain] }));
    const c = await app.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('ALTER TABLE fiscal_entries DISABLE TRIGGER USER');
      await c.query('ALTER TABLE fiscal_chains DISABLE TRIGGER USER');
      await c.query('DELETE FROM fiscal_entries WHERE chain = $1 AND seq > 3', [chain]);
      await c.query('UPDATE fiscal_chains h SET last_seq = e.seq, last_signature = e.signature FROM fiscal_entries e WHERE h.chain = $1 AND e.chain = $1 AND e.seq = 3', [chain]);
      await c.query('ALTER TABLE fiscal_entries ENABLE TRIGGER USER');
      await c.query('ALTER TABLE fiscal_chains ENABLE TRIGGER USER');
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const { page } = await app.staffPage('admin@ocpizza.test', VIEW);
    await page.goto(`${app.base}/manager/fiscal/verify`);
    await page.locator('select[name=shop]').selectOption(shop.slug);
    await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
    await page.getByText('Journal rompu').waitFor();
    const row = page.locator(`tr[data-chain="${chain}"]`);
    expect(await row.getByTestId('broken-seq').textContent()).toBe('Écriture n° 4');
    expect(await row.textContent()).toContain('la chaîne s\'arrête avant une fin qu\'elle avait atteinte');
    await row.locator('details summary').click();
    expect(await row.textContent()).toContain('entries 4 to 5 are missing, cut from its end');
    await page.screenshot({ path: `${SHOTS}/fiscal-verify-4-cut.png`, fullPage: true });
    expect(await seriousViolations(page), 'verification page, a chain cut').toEqual([]);
  });
});
