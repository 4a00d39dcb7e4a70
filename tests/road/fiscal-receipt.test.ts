// Receipts that French law accepts, against real Postgres: head office keeps a shop's legal
// mentions (a SIRET with a wrong key, or a VAT number that is not the SIREN's, is refused); before
// its sale is in the fiscal journal an order has a summary, never a ticket; once sold, its receipt
// carries the mentions, the ticket number (its sale's number among the shop's sales tickets), the lines
// with their VAT rate and the totals per rate, the software and its version, and 4 characters of
// the sale's signature; the first copy given out is the original, a later one "DUPLICATA n° k",
// each counted in the journal by an entry of kind `duplicate` written with its number; a refresh of
// the page does not count again; copies asked at once are numbered one after the other; the
// printed ticket carries the same, in bytes a thermal printer prints, and the screen that asked for
// it can follow each copy (printed, or why not) and how many were given out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, placeThroughApi, seededProduct, userId } from '../helpers.ts';
import { useStack } from '../services.ts';
import { FakePrinter, readEscPos } from '../fake-printer.ts';
import { pdfText } from '../pdf-text.ts';
import { shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { SHORT_SIGNATURE_PLACES, shortSignature } from '../../src/lib/domain/receipt-mentions.ts';
import { entryOf } from '../../src/lib/server/fiscal/journal.ts';
import { recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { issueReceipt, receiptCopies, receiptKey, SOFTWARE } from '../../src/lib/server/money/receipt-issues.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { printOrder } from '../../src/lib/server/printing/index.ts';
import { policyOf } from '../../src/lib/server/printing/address.ts';
import { receiptTicket } from '../../src/lib/server/printing/escpos.ts';
import { issuedReceiptOf } from '../../src/lib/server/money/receipt-issues.ts';
import pkg from '../../package.json' with { type: 'json' };

const ORIGIN = 'https://commande.ocpizza.example';
const stack = useStack({ env: { LOG_LEVEL: 'error', PUBLIC_ORIGIN: ORIGIN, PRINTER_TIMEOUT_MS: '1500', PRINTER_ALLOW_LOOPBACK: 'true' } });
/** A sale's number among its shop's sales tickets (what a receipt prints as its ticket number). */
const ticketNo = (e: { body: Record<string, unknown> }): number => (e.body.numbered as { no: number }).no;
const LEGAL = { legalName: 'OC Pizza SAS', siret: '852 741 966 00018', vatNumber: 'FR96852741966' };

type Shop = Awaited<ReturnType<typeof createShop>>;
let shop: Shop;
let admin: Client;
let manager: Client;
let kitchen: Client;
let counter: Client;
const printer = new FakePrinter();

beforeAll(async () => {
  await recordKeyInUse(stack.pool, receiptKey(stack.config));
  shop = await createShop(stack.pool, 'receipt');
  [admin, manager, kitchen, counter] = await Promise.all(['admin@ocpizza.test', shop.email('manager'), shop.email('kitchen'), shop.email('counter')].map((e) => new Client(stack.base).login(e)));
  await printer.start();
});
afterAll(() => printer.stop());

/** A pickup order of two Reine and a beer, paid in cash at the counter when collected. */
async function placed() {
  const o = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: seededProduct('reine'), quantity: 2, fulfilment: 'pickup', items: [{ productId: seededProduct('reine'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }] });
  return o;
}
async function collected(o: { id: string }) {
  await move(kitchen, o.id, 'preparing');
  await move(kitchen, o.id, 'ready');
  await move(counter, o.id, 'collected');
}

const entriesOf = async (orderId: string, kind?: string): Promise<Entry[]> =>
  (await stack.pool.query('SELECT * FROM fiscal_entries WHERE order_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY seq', [orderId, kind ?? null])).rows.map(entryOf);

describe("a shop's legal mentions", () => {
  it('head office sets them; a SIRET whose key is wrong, a VAT number of another SIREN, a manager: refused, and nothing changes', async () => {
    const badSiret = await admin.put(`/api/shops/${shop.id}/legal`, { ...LEGAL, siret: '852 741 966 00019' });
    expect(badSiret.status).toBe(422);
    expect(badSiret.body.error.fields).toEqual({ siret: 'siret_key' });
    const otherSiren = await admin.put(`/api/shops/${shop.id}/legal`, { ...LEGAL, vatNumber: 'FR83404833048' });
    expect(otherSiren.status).toBe(422);
    expect(otherSiren.body.error.fields).toEqual({ vatNumber: 'vat_siren' });
    expect((await manager.put(`/api/shops/${shop.id}/legal`, LEGAL)).status).toBe(403);
    expect((await stack.pool.query('SELECT siret FROM pizzerias WHERE id = $1', [shop.id])).rows[0].siret).toBeNull();

    const ok = await admin.put(`/api/shops/${shop.id}/legal`, LEGAL);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toEqual({ legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR96852741966' });
    const audit = await stack.pool.query(`SELECT after FROM audit_log WHERE action = 'shop.legal' AND entity_id = $1`, [String(shop.id)]);
    expect(audit.rows.map((r) => r.after.siret)).toEqual(['85274196600018']);
    // a fiscal setting changed: in the technical events journal, with who and what
    const adminId = await userId(stack.pool, 'admin@ocpizza.test');
    const jet = await stack.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'setting_change' AND body->>'chain' = $1`, [shopChain(shop.id)]);
    expect(jet.rows).toEqual([{ operator: `admin:${adminId}`, body: expect.objectContaining({ setting: 'shop.legal', after: { legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR96852741966' } }) }]);
    // the same mentions again change nothing
    expect((await admin.put(`/api/shops/${shop.id}/legal`, LEGAL)).status).toBe(200);
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE chain = 'jet' AND kind = 'setting_change' AND body->>'chain' = $1`, [shopChain(shop.id)])).rows[0].n).toBe(1);
    // the database keeps their form too, whoever writes
    await expect(stack.pool.query(`UPDATE pizzerias SET vat_number = 'FR83404833048' WHERE id = $1`, [shop.id])).rejects.toThrow(/pizzerias_vat_number_of_siret/);
  });
});

describe('receipts', () => {
  let o: Awaited<ReturnType<typeof placed>>;
  let sale: Entry;

  it('before the sale is in the journal the order has a summary, never a ticket, and nothing is counted', async () => {
    o = await placed();
    const api = await new Client(stack.base).get(`/api/track/${o.trackingToken}/receipt`);
    expect(api.status).toBe(409);
    expect(api.body.error.code).toBe('not_paid');
    expect((await fetch(`${stack.base}/api/track/${o.trackingToken}/receipt.pdf`)).status).toBe(409);
    const page = await issuedReceiptOf(stack.pool, receiptKey(stack.config), o.id, 'fr', { form: 'page', requestedBy: 'customer' });
    expect(page?.kind).toBe('summary');
    expect(await entriesOf(o.id)).toEqual([]);
    expect(await receiptCopies(stack.pool, o.id)).toEqual([]);
  });

  it('once sold, the receipt carries the mentions, the ticket number, VAT per line and per rate, the software and the short signature: the original', async () => {
    await collected(o);
    const r = await new Client(stack.base).get(`/api/track/${o.trackingToken}/receipt`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    [sale] = await entriesOf(o.id, 'sale');
    expect(sale, 'the sale is in the journal once the receipt is asked, without waiting for the workers').toBeTruthy();
    const receipt = r.body;
    expect(receipt.shop).toMatchObject({ legalName: 'OC Pizza SAS', siret: '85274196600018', vatNumber: 'FR96852741966', address: '1 rue de Test, 75011 Paris' });
    expect(receipt.stamp).toMatchObject({ chain: shopChain(shop.id), ticket: ticketNo(sale), soldAt: sale.occurredAt, copy: 0, duplicateSeq: null });
    // the 3rd, 7th, 13th and 19th characters of the sale entry's signature
    expect(receipt.stamp.shortSignature).toBe(SHORT_SIGNATURE_PLACES.map((p) => sale.signature[p - 1]).join(''));
    expect(receipt.software).toEqual({ name: pkg.name, version: pkg.version });
    expect(receipt.lines.map((l: { vatRate: number }) => l.vatRate).sort()).toEqual([10, 20]);
    // the totals per rate are the journal's
    const byRate = (vat: { rate?: number; rateBp?: number; netCents: number; vatCents: number; grossCents: number }[]) =>
      vat.map((v) => [v.rate ?? v.rateBp! / 100, v.netCents, v.vatCents, v.grossCents]);
    expect(byRate(receipt.vat)).toEqual(byRate(sale.body.vat as never));
    expect(receipt.payments).toEqual([{ method: 'counter_cash', amountCents: o.total }]);
    expect(await receiptCopies(stack.pool, o.id)).toEqual([expect.objectContaining({ copy: 0, form: 'page', requestedBy: 'customer', duplicateSeq: null })]);
  });

  it('the page refreshed, and its PDF, within minutes for the same person are the same copy: nothing more is counted', async () => {
    for (let i = 0; i < 5; i++) expect((await new Client(stack.base).get(`/api/track/${o.trackingToken}/receipt`)).body.stamp.copy).toBe(0);
    const pdf = await fetch(`${stack.base}/api/track/${o.trackingToken}/receipt.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toMatch(new RegExp(`filename="ocpizza-\\d{4}-\\d{2}-\\d{2}-${o.number}\\.pdf"`));
    const text = pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('SIRET 852 741 966 00018');
    expect(text).toContain('FR96852741966');
    expect(text).toContain(`Ticket n\u00b0 ${String(ticketNo(sale)).padStart(6, '0')}`);
    expect(text).toContain(`Signature ${shortSignature(sale.signature)}`);
    expect(text).toContain(`${pkg.name} version ${pkg.version}`);
    expect(text).not.toContain('DUPLICATA');
    expect(await entriesOf(o.id, 'duplicate')).toEqual([]);
    expect(await receiptCopies(stack.pool, o.id)).toHaveLength(1);
  });

  it('shown again later, it is "DUPLICATA n° 1", counted in the shop chain with the sale it copies and who asked; a manager asking is n° 2', async () => {
    // later: the copy given out on screen is over a quarter of an hour old
    await stack.pool.query(`UPDATE receipt_issues SET issued_at = issued_at - interval '20 minutes' WHERE order_id = $1`, [o.id]);
    const again = await new Client(stack.base).get(`/api/track/${o.trackingToken}/receipt`);
    expect(again.body.stamp).toMatchObject({ ticket: ticketNo(sale), copy: 1 });
    const res = await fetch(`${stack.base}/api/track/${o.trackingToken}/receipt.pdf`);
    const bytes = Buffer.from(await res.arrayBuffer());
    // a PDF, or what came instead (an error says why)
    expect([res.status, res.headers.get('content-type')], bytes.toString('utf8', 0, 300)).toEqual([200, 'application/pdf']);
    const pdf = pdfText(bytes);
    expect(pdf).toContain('DUPLICATA n\u00b0 1');
    const managerId = await userId(stack.pool, shop.email('manager'));
    const byManager = await manager.get(`/api/track/${o.trackingToken}/receipt`);
    expect(byManager.body.stamp.copy).toBe(2);

    const dups = await entriesOf(o.id, 'duplicate');
    expect(dups.map((d) => [d.chain, d.body, d.operator, d.salesCents, d.moneyCents])).toEqual([
      [shopChain(shop.id), { ref: { chain: shopChain(shop.id), seq: sale.seq }, ticket: ticketNo(sale), copy: 1, form: 'page', requestedBy: 'customer', numbered: { series: 'duplicate', no: 1 } }, 'customer', 0, 0],
      [shopChain(shop.id), { ref: { chain: shopChain(shop.id), seq: sale.seq }, ticket: ticketNo(sale), copy: 2, form: 'page', requestedBy: `manager:${managerId}`, numbered: { series: 'duplicate', no: 2 } }, `manager:${managerId}`, 0, 0],
    ]);
    expect(again.body.stamp.duplicateSeq).toBe(dups[0].seq);
    const copies = await receiptCopies(stack.pool, o.id);
    expect(copies.map((c) => [c.copy, c.duplicateSeq])).toEqual([[0, null], [1, dups[0].seq], [2, dups[1].seq]]);
    // the chain with its duplicates verifies
    const report = await verifyJournal(stack.pool, { shop: shop.slug });
    expect(report.ok, JSON.stringify(report.chains)).toBe(true);
  });

  it('copies asked at the same moment by several people are numbered one after the other, each with its entry, the chain without a gap', async () => {
    const key = receiptKey(stack.config);
    const stamps = await Promise.all(Array.from({ length: 6 }, (_, i) => issueReceipt(stack.pool, key, o.id, { form: 'printed', requestedBy: `counter:${1000 + i}` })));
    expect(stamps.map((s) => s!.copy).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
    const dups = await entriesOf(o.id, 'duplicate');
    expect(dups.map((d) => d.body.copy)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const { rows } = await stack.pool.query('SELECT seq FROM fiscal_entries WHERE chain = $1 ORDER BY seq', [shopChain(shop.id)]);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).ok).toBe(true);
  });
});

describe('the printed ticket', () => {
  it("carries the mentions, the ticket number, VAT per rate, the software and the signature; a reprint says DUPLICATA n° 1 and is counted; a job tried again prints the same copy", async () => {
    const set = await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const o = await placed();
    // not sold yet: the counter cannot print a till receipt
    expect((await counter.post(`/api/orders/${o.id}/receipt/print`)).status).toBe(409);
    await collected(o);
    const key = receiptKey(stack.config);
    const counterId = await userId(stack.pool, shop.email('counter'));
    const opts = { origin: ORIGIN, timeoutMs: 1500, policy: policyOf(stack.config), key };
    expect(await printOrder(stack.pool, { orderId: o.id, kind: 'receipt', copy: 1, requestedBy: `counter:${counterId}` }, opts)).toBe('printed');
    const [sale] = await entriesOf(o.id, 'sale');
    const ticket = `Ticket no ${String(ticketNo(sale)).padStart(6, '0')}`;
    const original = printer.printed.find((d) => d.lines.includes(ticket))!;
    expect(original, 'the original reached the printer').toBeTruthy();
    expect(original.lines).toEqual(expect.arrayContaining([
      `OC Pizza ${shop.slug}`, 'OC Pizza SAS', 'SIRET 852 741 966 00018', 'TVA intracom. FR96852741966', ticket,
      `Signature ${shortSignature(sale.signature)}`, `Logiciel ${pkg.name} ${pkg.version}`,
    ]));
    expect(original.lines.join('\n')).not.toContain('DUPLICATA');
    // each line with its rate, the totals per rate (excl. VAT, VAT, incl. VAT)
    expect(original.lines.some((l) => /^2x Reine\s+10% +\d+,\d\d$/.test(l))).toBe(true);
    expect(original.lines.some((l) => /^TVA\s+HT\s+TVA\s+TTC$/.test(l))).toBe(true);
    expect(original.lines.some((l) => /^20%\s+\d+,\d\d\s+\d+,\d\d\s+\d+,\d\d$/.test(l))).toBe(true);
    expect(original.cut).toBe(true);

    // a reprint, whose first try finds the printer off: the copy is numbered once, printed when the printer is back
    await printer.stop();
    const reprint = { orderId: o.id, kind: 'receipt' as const, copy: 2, requestedBy: `counter:${counterId}` };
    await expect(printOrder(stack.pool, reprint, opts)).rejects.toThrow(/cannot be reached|did not answer/);
    // the screen that asked follows its copy: the original printed, the duplicate not (the printer unreachable)
    const followed = await counter.get(`/api/orders/${o.id}/receipt/prints`);
    expect(followed.status, JSON.stringify(followed.body)).toBe(200);
    expect(followed.body).toEqual({ copiesGiven: 2, prints: [
      { copy: 1, state: 'printed', problem: null, receiptCopy: 0 },
      { copy: 2, state: 'failed', problem: 'unreachable', receiptCopy: 1 },
    ] });
    await printer.start();
    expect(await printOrder(stack.pool, reprint, opts)).toBe('printed');
    expect((await counter.get(`/api/orders/${o.id}/receipt/prints`)).body.prints[1]).toEqual({ copy: 2, state: 'printed', problem: null, receiptCopy: 1 });
    // another shop's staff do not see it
    const other = await createShop(stack.pool, 'receipt-other');
    expect((await (await new Client(stack.base).login(other.email('counter'))).get(`/api/orders/${o.id}/receipt/prints`)).status).toBe(404);
    const dupDoc = printer.printed.filter((d) => d.lines.includes(ticket)).at(-1)!;
    expect(dupDoc.lines).toEqual(expect.arrayContaining(['DUPLICATA no 1', 'OC Pizza SAS', 'SIRET 852 741 966 00018', `Signature ${shortSignature(sale.signature)}`]));
    const dups = await entriesOf(o.id, 'duplicate');
    expect(dups.map((d) => d.body)).toEqual([{ ref: { chain: shopChain(shop.id), seq: sale.seq }, ticket: ticketNo(sale), copy: 1, form: 'printed', requestedBy: `counter:${counterId}`, numbered: { series: 'duplicate', no: expect.any(Number) } }]);

    // in bytes: the duplicate's mark printed large (GS ! 0x11) and bold, before the ticket number
    const r = await issuedReceiptOf(stack.pool, key, o.id, 'fr', { form: 'printed', requestedBy: `counter:${counterId}`, printJobId: (await stack.pool.query(`SELECT id FROM print_jobs WHERE order_id = $1 AND kind = 'receipt' AND copy = 2`, [o.id])).rows[0].id });
    expect(r?.kind).toBe('ticket');
    const bytes = receiptTicket((r as Extract<typeof r, { kind: 'ticket' }>).receipt);
    const mark = Buffer.concat([Buffer.from([0x1d, 0x21, 0x11, 0x1b, 0x45, 0x01]), Buffer.from('DUPLICATA no 1\n', 'latin1')]);
    expect(bytes.indexOf(mark)).toBeGreaterThan(0);
    expect(bytes.indexOf(mark)).toBeLessThan(bytes.indexOf(Buffer.from(ticket)));
    expect(bytes.includes(Buffer.from('SIRET 852 741 966 00018\n'))).toBe(true);
    expect(bytes.includes(Buffer.from('TVA intracom. FR96852741966\n'))).toBe(true);
    expect(readEscPos(bytes).lines).toEqual(dupDoc.lines);
    // the job tried again gave the copy it already had: one duplicate, still
    expect(await entriesOf(o.id, 'duplicate')).toHaveLength(1);
    expect(SOFTWARE).toEqual({ name: pkg.name, version: pkg.version });
  });
});
