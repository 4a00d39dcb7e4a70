// Loyalty points, on real Postgres and Redis and the sign-in by email code: a signed-in customer's
// order paid at least 10 EUR earns 10 points when it is handed over, once however often it is
// moved; a cancelled one earns none; a small one none; a guest none. The balance is the ledger's sum.
import { describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct, waitUntil } from './helpers.ts';
import { useMessages, useStack } from './services.ts';

const messages = useMessages();
const stack = useStack({ env: () => messages.env() });
const margherita = seededProduct('margherita');
const coke = seededProduct('coca-cola');

let seq = 0;
const freshEmail = () => `fidele-${Date.now()}-${++seq}@example.fr`;

async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), 10_000, `an email to ${email}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1];
  const r = await c.post('/api/customer/session', { email, code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

describe('loyalty points', () => {
  it('a signed-in customer earns 10 points when an order of 10 EUR or more is handed over, none for a cancelled or a small one, and a guest none', async () => {
    const shop = await createShop(stack.pool, 'loyalty');
    const email = freshEmail();
    const me = await signedIn(email);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const order = (c: Client, items: unknown[], who = { name: 'Fidèle', phone: '0612345678', email }) =>
      c.post('/api/orders', { pizzeriaId: shop.id, fulfilment: 'pickup', customer: who, items, payment: 'on_delivery' });
    const handOver = async (id: string) => {
      await move(kitchen, id, 'preparing');
      await move(kitchen, id, 'ready');
      await move(counter, id, 'collected');
    };

    expect((await me.get('/api/customer/loyalty')).body).toMatchObject({ balance: 0, history: [] });
    expect((await new Client(stack.base).get('/api/customer/loyalty')).status).toBe(401);

    // 21,00 €: 10 points once collected, not before
    const paid = await order(me, [{ productId: margherita, quantity: 2 }]);
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);
    await handOver(paid.body.id);
    const after = (await me.get('/api/customer/loyalty')).body;
    expect(after.balance).toBe(10);
    expect(after.history).toEqual([expect.objectContaining({ points: 10, reason: 'earned', orderId: paid.body.id, number: paid.body.number })]);

    // cancelled by the customer before the kitchen: nothing
    const cancelled = await order(me, [{ productId: margherita, quantity: 2 }]);
    expect((await new Client(stack.base).post(`/api/track/${cancelled.body.trackingToken}/cancel`)).status).toBe(200);
    // 3,00 €: under 10 EUR, nothing
    const small = await order(me, [{ productId: coke, quantity: 1 }]);
    await handOver(small.body.id);
    // a guest (no account cookie) with another email: nothing for anyone
    const guest = await order(new Client(stack.base), [{ productId: margherita, quantity: 2 }], { name: 'Invité', phone: '0699887766', email: freshEmail() });
    await handOver(guest.body.id);

    const end = (await me.get('/api/customer/loyalty')).body;
    expect(end.balance).toBe(10);
    expect(end.history).toHaveLength(1);
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM loyalty_ledger WHERE order_id = ANY($1)', [[cancelled.body.id, small.body.id, guest.body.id]]);
    expect(rows[0].n).toBe(0);
  });

  it('points earned are taken back when the order is refunded in full after', async () => {
    const shop = await createShop(stack.pool, 'loyalty-back');
    const email = freshEmail();
    const me = await signedIn(email);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const placed = await me.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: '0612345679', email }, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(10);
    // the whole order refunded (as a manager's refund writes it): the points go back
    await stack.pool.query('UPDATE orders SET granted_refund_cents = total_cents, version = version + 1 WHERE id = $1', [placed.body.id]);
    const back = (await me.get('/api/customer/loyalty')).body;
    expect(back.balance).toBe(0);
    expect(back.history.map((h: { reason: string; points: number }) => [h.reason, h.points])).toEqual([['taken_back', -10], ['earned', 10]]);
  });
});
