// The demo payments (no Stripe keys) take an order for a slot days ahead as Stripe does: the
// customer saves a test card on the demo page (a signed setup event, through the same webhook),
// the order is taken, the workers hold it the day before; the demo's "declined later" card is saved
// and then refused at the hold, and the customer pays on the demo page. Real Postgres, Redis,
// BullMQ and the workers in this process.
import { describe, expect, it } from 'vitest';
import { CARDS, Client, createShop, payOnDemoPage, seededProduct, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { DEMO_CARDS, type DemoPaymentProvider } from '../../src/lib/server/money/demo.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';

const stack = useStack({ workers: true });
const margherita = seededProduct('margherita');
const LIVE = 20_000;
const QUARTER = 15 * 60_000;

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.kind, r.amount_cents]);

async function placeLater(shopId: number) {
  const slot = new Date(Math.ceil((Date.now() + 6.5 * 86_400_000) / QUARTER) * QUARTER).toISOString();
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'pickup', customer: { name: 'Léa', phone: '0611223355' }, items: [{ productId: margherita, quantity: 1 }], payment: 'online', slot,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

async function holdNow(orderId: string) {
  await stack.pool.query(`UPDATE orders SET hold_due_at = now(), version = version + 1 WHERE id = $1`, [orderId]);
  const job = (await waitUntil(() => stack.workers.queues.payments.getJob(jobId.hold(orderId)), LIVE, 'the hold job'))!;
  await job.promote();
}

describe('the demo payments, for an order held the day before', () => {
  it('a test card saved on the demo page takes the order; the day before, the workers hold it', async () => {
    const shop = await createShop(stack.pool, 'demo-saved');
    const o = await placeLater(shop.id);
    expect(await payOnDemoPage(stack.base, o.token, CARDS.accepted)).toEqual({ accepted: true, refused: null });
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order taken');
    expect(await track(o.token)).toMatchObject({ payment: { status: 'card_saved' }, paidCents: 0 });
    expect(await movements(o.id)).toEqual([]);

    await holdNow(o.id);
    await waitUntil(async () => (await track(o.token)).payment.status === 'authorised', LIVE, 'the hold');
    expect(await track(o.token)).toMatchObject({ status: 'received', paidCents: o.total, payment: { paidWith: 'online' } });
    const demo = stack.workers.provider as DemoPaymentProvider;
    expect([...demo.holds.values()].filter((h) => h.orderId === o.id)).toEqual([expect.objectContaining({ outcome: 'held', amountCents: o.total })]);
    expect(await movements(o.id)).toEqual([['authorised', o.total]]);
  });

  it('the demo card declined later is saved, refused at the hold, and paid on the demo page before the deadline', async () => {
    const shop = await createShop(stack.pool, 'demo-declined');
    const o = await placeLater(shop.id);
    expect((await payOnDemoPage(stack.base, o.token, DEMO_CARDS.declinedLater)).accepted).toBe(true);
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order taken');
    await holdNow(o.id);
    const refused = await waitUntil(async () => {
      const t = await track(o.token);
      return t.payment.status === 'failed' && t;
    }, LIVE, 'the hold refused');
    expect(refused).toMatchObject({ status: 'received', paidCents: 0, payment: { payBy: expect.any(String) } });
    // the customer pays the hold on the demo page with another card
    expect(await payOnDemoPage(stack.base, o.token, CARDS.accepted)).toEqual({ accepted: true, refused: null });
    await waitUntil(async () => (await track(o.token)).payment.status === 'authorised', LIVE, 'the hold paid');
    expect(await track(o.token)).toMatchObject({ status: 'received', paidCents: o.total, payment: { payBy: null } });
    expect(await movements(o.id)).toEqual([['failed', 0], ['authorised', o.total]]);
  });
});
