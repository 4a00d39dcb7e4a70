// What a certifier counts: three cash sales at the counter with a manager's credit note and a copy
// of a receipt between each carry sales tickets 1, 2, 3 (the chain's own numbers jump: payments,
// credit notes and duplicates are entries too), the credit notes and the duplicates are numbered
// on their own, the receipt prints its sale's ticket number, the database refuses a ticket out of
// its series, and the day's closing (numbered too) carries the perpetual grand totals signed and in
// absolute value.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { shopChain, type Entry } from '../../src/lib/domain/fiscal-chain.ts';
import { ticketNumber } from '../../src/lib/domain/receipt-mentions.ts';
import { closeDaysUpTo } from '../../src/lib/server/fiscal/closings.ts';
import { signingKey } from '../../src/lib/server/fiscal/corrections.ts';
import { journalEventsAfter, journalPlace } from '../../src/lib/server/fiscal/events.ts';
import { entryOf } from '../../src/lib/server/fiscal/journal.ts';
import type { FiscalKey } from '../../src/lib/server/fiscal/keys.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';
import { issueReceipt } from '../../src/lib/server/money/receipt-issues.ts';

const stack = useStack();
let key: FiscalKey;
let shop: Awaited<ReturnType<typeof createShop>>;
let counter: Client;
let kitchen: Client;
let manager: Client;
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const journal = async () => (await journalEventsAfter(stack.pool, key, await journalPlace(stack.pool))).written;
const chainEntries = async (): Promise<Entry[]> => (await stack.pool.query('SELECT * FROM fiscal_entries WHERE chain = $1 ORDER BY seq', [shopChain(shop.id)])).rows.map(entryOf);

beforeAll(async () => {
  key = await signingKey(stack.pool);
  shop = await createShop(stack.pool, 'tickets');
  await stack.pool.query(`INSERT INTO event_cursors (name, last_event_id) SELECT 'fiscal', coalesce(max(id), 0) FROM order_events ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`);
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  counter = await new Client(stack.base).login(shop.email('counter'));
  manager = await new Client(stack.base).login(shop.email('manager'));
});

/** Two pizzas and a beer at the counter, paid in cash when collected. */
async function cashSale(): Promise<string> {
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 1 }, { productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
  return r.body.id;
}

/** The manager gives back the beer: a credit note. */
async function creditNote(orderId: string) {
  const lines = (await manager.get(`/api/orders/${orderId}/refunds`)).body.lines as { itemId: number; name: string }[];
  const beer = lines.find((l) => l.name.toLowerCase().includes('peroni'))!;
  const r = await fetch(`${stack.base}/api/orders/${orderId}/refunds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: manager.cookie, 'idempotency-key': randomUUID() },
    body: JSON.stringify({ lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality', note: 'Tiède' }),
  });
  expect(r.status).toBe(201);
}

describe('ticket numbers, per series', () => {
  const sales: string[] = [];

  it('three cash sales with a credit note and a receipt\'s copy between each are sales tickets 1, 2 and 3; credit notes and duplicates count on their own', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await cashSale();
      sales.push(id);
      await journal();
      // the original receipt to the customer, then a copy the counter prints: a duplicate in the journal
      expect((await issueReceipt(stack.pool, key, id, { form: 'page', requestedBy: 'customer' }))?.copy).toBe(0);
      expect((await issueReceipt(stack.pool, key, id, { form: 'printed', requestedBy: 'counter:1' }))?.copy).toBe(1);
      await creditNote(id);
      await journal();
    }
    const entries = await chainEntries();
    const series = (kind: string) => entries.filter((e) => e.kind === kind && (kind !== 'refund' || e.body.creditNote === true)).map((e) => e.body.numbered);
    expect(series('sale')).toEqual([{ series: 'sale', no: 1 }, { series: 'sale', no: 2 }, { series: 'sale', no: 3 }]);
    expect(series('duplicate')).toEqual([{ series: 'duplicate', no: 1 }, { series: 'duplicate', no: 2 }, { series: 'duplicate', no: 3 }]);
    expect(series('refund')).toEqual([{ series: 'credit_note', no: 1 }, { series: 'credit_note', no: 2 }, { series: 'credit_note', no: 3 }]);
    // the chain's own numbers jump from sale to sale: other entries lie between
    const saleSeqs = entries.filter((e) => e.kind === 'sale').map((e) => e.seq);
    expect(saleSeqs[1] - saleSeqs[0]).toBeGreaterThan(1);
    // what the receipt prints: its sale's ticket number
    const third = await issueReceipt(stack.pool, key, sales[2], { form: 'page', requestedBy: 'counter:1' });
    expect(third?.ticket).toBe(3);
    expect(ticketNumber(third!.ticket)).toBe('000003');
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).chains[0].broken).toBeNull();
  });

  it('the database refuses a ticket out of its series, and an entry of a ticket\'s kind without its number', async () => {
    const c = await stack.pool.connect();
    try {
      const head = (await c.query('SELECT last_seq, last_signature, tickets FROM fiscal_chains WHERE chain = $1', [shopChain(shop.id)])).rows[0];
      const insert = (body: object) => c.query(
        `INSERT INTO fiscal_entries (chain, seq, kind, occurred_at, recorded_at, operator, source_key, body, prev_signature, signature, key_id)
         VALUES ($1, $2, 'sale', now(), now(), 'system', $3, $4, $5, 'x', 'x')`,
        [shopChain(shop.id), Number(head.last_seq) + 1, `forged:${randomUUID()}`, JSON.stringify(body), head.last_signature],
      );
      expect(head.tickets.sale).toBeGreaterThanOrEqual(3);
      await expect(insert({ numbered: { series: 'sale', no: head.tickets.sale + 2 } })).rejects.toThrow(/must be sale no\. \d+/);
      await expect(insert({ numbered: { series: 'sale', no: head.tickets.sale } })).rejects.toThrow(/must be sale no\. \d+/);
      await expect(insert({})).rejects.toThrow(/must be sale no\. \d+/);
    } finally {
      c.release();
    }
  });

  it('the day\'s closing is closing no. 1, with the perpetual grand totals signed and in absolute value', async () => {
    const day = (await stack.pool.query('SELECT business_day::text AS day FROM orders WHERE id = $1', [sales[0]])).rows[0].day;
    const { written } = await closeDaysUpTo(stack.pool, key, shop.id, day, { operator: 'manager:1', yearStartMonth: 1 });
    const closing = written.find((e) => e.chain === shopChain(shop.id) && e.body.level === 'day')!;
    expect(closing.body.numbered).toEqual({ series: 'closing', no: 1 });
    const entries = await chainEntries();
    const sold = entries.filter((e) => e.kind === 'sale').reduce((s, e) => s + e.salesCents, 0);
    const returned = entries.filter((e) => e.kind === 'refund' && e.body.creditNote === true).reduce((s, e) => s - e.moneyCents, 0);
    expect(returned).toBeGreaterThan(0);
    const perpetual = closing.body.perpetual as { salesCents: number; netSalesCents: number; absoluteCents: number };
    // signed: the sales less what the credit notes took back; in absolute value: both, added
    expect(perpetual.netSalesCents).toBe(sold - returned);
    expect(perpetual.absoluteCents).toBe(sold + returned);
    expect((await verifyJournal(stack.pool, { shop: shop.slug })).chains[0].broken).toBeNull();
  });
});
