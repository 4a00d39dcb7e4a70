// Training (mode formation) as a till certifier checks it: head office opens a training shop; its
// cashier signs in (in the JET), sells two orders at the counter, and each is a `training_sale` in
// the JET at once, never an entry of a shop's chain, never in the chain's takings; its receipt says
// FACTICE and is no fiscal ticket; no customer can order there; and what a shop is (training or
// not) can be changed by no one afterwards, not even by a superuser's UPDATE without lifting the
// journal's protections.
import { beforeAll, describe, expect, it } from 'vitest';
import { addressFor, Client, customer, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { verifyJournal } from '../../src/lib/server/fiscal/verify.ts';

const stack = useStack();
let shop: { id: number; slug: string };
let counter: Client;
let kitchen: Client;
let counterId: number;
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  const admin = await new Client(stack.base).login('admin@ocpizza.test');
  const slug = `training-${Math.random().toString(36).slice(2, 8)}`;
  const made = await admin.post('/api/shops', { slug, name: 'OC Pizza Formation', address: '1 rue de Test, 75011 Paris', lat: 48.86, lng: 2.37, deliveryRadiusM: 3000, training: true });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  expect(made.body.training).toBe(true);
  shop = { id: made.body.id, slug };
  await stack.pool.query('UPDATE stock SET on_hand = 1000000 WHERE pizzeria_id = $1', [shop.id]);
  for (const role of ['counter', 'kitchen']) {
    await stack.pool.query(
      `INSERT INTO users (email, password_hash, name, role, pizzeria_id) SELECT $1, password_hash, $2, $3, $4 FROM users WHERE email = 'admin@ocpizza.test'`,
      [`${role}.${slug}@ocpizza.test`, `${role} ${slug}`, role, shop.id],
    );
  }
  counter = await new Client(stack.base).login(`counter.${slug}@ocpizza.test`);
  kitchen = await new Client(stack.base).login(`kitchen.${slug}@ocpizza.test`);
  counterId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [`counter.${slug}@ocpizza.test`])).rows[0].id;
});

/** Three pizzas (one with an extra) and a drink at the training counter, paid in cash when collected. */
async function trainingSale(): Promise<{ id: string; token: string; total: number }> {
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Élève', phone: phone() },
    items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const to of ['preparing', 'ready']) await move(kitchen, r.body.id, to);
  expect((await counter.post(`/api/orders/${r.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
  return { id: r.body.id, token: r.body.trackingToken, total: r.body.total };
}

describe('a training shop', () => {
  it('its sales are training_sale events in the JET when they answer, with the cashier and FACTICE; never in a chain', async () => {
    const [a, b] = [await trainingSale(), await trainingSale()];
    const jet = (await stack.pool.query(
      `SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'training_sale' AND body->'order'->>'id' = ANY($1) ORDER BY seq`, [[a.id, b.id]],
    )).rows;
    expect(jet.map((e) => e.body.order.id)).toEqual([a.id, b.id]);
    expect(jet[0]).toMatchObject({ operator: `counter:${counterId}`, body: { order: { shop: shop.id }, status: 'collected', totalCents: a.total, paidCents: a.total, paidWith: 'cash', items: 4, mention: 'FACTICE' } });
    const inChains = await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE order_id = ANY($1) OR chain = $2`, [[a.id, b.id], `shop:${shop.id}`]);
    expect(inChains.rows[0].n).toBe(0);
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM fiscal_chains WHERE pizzeria_id = $1', [shop.id])).rows[0].n).toBe(0);
    // the cashier's sign-in is in the JET too
    const signIn = await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE chain = 'jet' AND kind = 'sign_in' AND operator = $1`, [`counter:${counterId}`]);
    expect(signIn.rows[0].n).toBeGreaterThanOrEqual(1);
    // the workers' follower and its sweep leave them alone: nothing to journal, no anomaly
    const report = await verifyJournal(stack.pool);
    expect(report.chains.every((c) => !c.broken)).toBe(true);
  });

  it('is in no total: the chain\'s takings leave it out, its own day took nothing', async () => {
    await trainingSale();
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const all = await admin.get('/api/takings');
    expect(all.status).toBe(200);
    expect(all.body.shops.map((s: { shop: { id: number } }) => s.shop.id)).not.toContain(shop.id);
    const own = await admin.get(`/api/shops/${shop.id}/takings`);
    expect(own.status).toBe(200);
    expect(Object.values(own.body.shops[0].takenCents as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('its receipt says FACTICE, as data and as a PDF, and is no fiscal ticket', async () => {
    const sale = await trainingSale();
    const r = await new Client(stack.base).get(`/api/track/${sale.token}/receipt`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ training: true, totalCents: sale.total });
    expect(r.body.stamp).toBeUndefined();
    const pdf = await fetch(`${stack.base}/api/track/${sale.token}/receipt.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toMatch(/-factice\.pdf"$/);
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE kind = 'duplicate' AND order_id = $1`, [sale.id])).rows[0].n).toBe(0);
  });

  it('takes no customer\'s order, and stays what it was opened as: neither it nor a real shop can be switched', async () => {
    const online = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer, address: addressFor(shop.id), items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    });
    expect(online.status).toBe(422);
    expect(online.body.error.code).toBe('shop_training');
    await expect(stack.pool.query('UPDATE pizzerias SET training = false WHERE id = $1', [shop.id])).rejects.toThrow(/set once/);
    await expect(stack.pool.query('UPDATE pizzerias SET training = true WHERE id = (SELECT min(id) FROM pizzerias)')).rejects.toThrow(/set once/);
    const sold = (await stack.pool.query(`SELECT id FROM orders WHERE pizzeria_id = $1 LIMIT 1`, [shop.id])).rows[0].id;
    await expect(stack.pool.query('UPDATE orders SET training = false, version = version + 1 WHERE id = $1', [sold])).rejects.toThrow(/set once/);
    await expect(stack.pool.query('UPDATE orders SET pizzeria_id = (SELECT min(id) FROM pizzerias), version = version + 1 WHERE id = $1', [sold])).rejects.toThrow(/training or not/);
  });
});
