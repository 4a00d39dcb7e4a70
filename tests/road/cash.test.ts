// The money drivers bring back, against real Postgres: a shift follows the driver's switch; what
// they collected at the door (cash, card) in it is what the manager expects; the driver declares
// without being told the figure; the manager counts the cash and closes the shift, the difference
// kept and audited. Another shop's manager, a driver, or a shift still going: refused.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, addressFor, assignDriver, createShop, handOver, move } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack();
const margherita = seededProduct('margherita');

/** An order of the shop delivered by its driver, with what was collected at the door. */
async function deliverOne(shop: Awaited<ReturnType<typeof createShop>>, driver: Client, kitchen: Client, method: 'cash' | 'card', quantity = 1) {
  const placed = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Rose', phone: '0611223399' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity }], payment: 'on_delivery',
  });
  expect(placed.status).toBe(201);
  const id = placed.body.id as string;
  await move(kitchen, id, 'preparing');
  await move(kitchen, id, 'ready');
  expect((await assignDriver(stack.pool, id)).assigned).toBe(true);
  await move(driver, id, 'out_for_delivery');
  await handOver(stack.pool, driver, id, method);
  return placed.body.total as number;
}

describe('end of shift: the cash drivers bring back', () => {
  it('expects what the deliveries collected, takes the driver\'s blind declaration, and closes with the difference the manager counted', async () => {
    const shop = await createShop(stack.pool, 'cash');
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await driver.get('/api/driver/cash')).body).toBeNull();
    await driver.post('/api/driver/shift', { onShift: true });
    const cash1 = await deliverOne(shop, driver, kitchen, 'cash', 2);
    const cash2 = await deliverOne(shop, driver, kitchen, 'cash');
    const card = await deliverOne(shop, driver, kitchen, 'card');

    // while on shift: the manager sees it going, and cannot close it
    const [open] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    expect(open).toMatchObject({ driverName: expect.stringContaining('driver1'), endedAt: null, collections: 3, expectedCashCents: cash1 + cash2, expectedCardCents: card, closedAt: null });
    expect((await manager.post(`/api/shops/${shop.id}/shifts/${open.id}/close`, { countedCashCents: 100 })).body.error.code).toBe('shift_open');

    await driver.post('/api/driver/shift', { onShift: false });
    // the driver is not told the figure; they declare what they have, 5 € short in cash
    const mine = (await driver.get('/api/driver/cash')).body;
    expect(mine).toMatchObject({ id: open.id, collections: 3, declaredCashCents: null });
    expect(mine).not.toHaveProperty('expectedCashCents');
    const declared = await driver.post('/api/driver/cash', { cashCents: cash1 + cash2 - 500, cardCents: card });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);

    const [ended] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    expect(ended).toMatchObject({ declaredCashCents: cash1 + cash2 - 500, declaredCardCents: card, expectedCashCents: cash1 + cash2 });
    // the manager counts the cash in euros as typed: the 5 € are indeed missing
    const counted = ((cash1 + cash2 - 500) / 100).toFixed(2).replace('.', ',');
    const closed = await manager.post(`/api/shops/${shop.id}/shifts/${open.id}/close`, { countedCashCents: counted, note: 'Pièce de 5 € perdue' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body).toMatchObject({ countedCashCents: cash1 + cash2 - 500, differenceCents: -500, note: 'Pièce de 5 € perdue', closedBy: expect.stringContaining('manager') });
    expect((await manager.post(`/api/shops/${shop.id}/shifts/${open.id}/close`, { countedCashCents: 0 })).body.error.code).toBe('already_closed');
    // closed: the driver's declaration can no longer change, and a new shift starts clean
    expect((await driver.post('/api/driver/cash', { cashCents: 0, cardCents: 0 })).status).toBe(404);
    await driver.post('/api/driver/shift', { onShift: true });
    expect((await driver.get('/api/driver/cash')).body).toMatchObject({ collections: 0, declaredCashCents: null });
    const audit = await stack.pool.query(`SELECT action, after FROM audit_log WHERE entity = 'shift' AND entity_id = $1`, [String(open.id)]);
    expect(audit.rows.map((r) => [r.action, r.after.differenceCents])).toEqual([['cash.close_shift', -500]]);
  });

  it('refuses another shop, a driver, and bad amounts, and changes nothing', async () => {
    const shop = await createShop(stack.pool, 'cash-who');
    const other = await createShop(stack.pool, 'cash-other');
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    await driver.post('/api/driver/shift', { onShift: false });
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const [shift] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    const stranger = await new Client(stack.base).login(other.email('manager'));
    expect((await stranger.get(`/api/shops/${shop.id}/shifts`)).status).toBe(403);
    expect((await stranger.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: 0 })).status).toBe(403);
    expect((await stranger.post(`/api/shops/${other.id}/shifts/${shift.id}/close`, { countedCashCents: 0 })).status).toBe(404);
    expect((await driver.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: 0 })).status).toBe(403);
    expect((await manager.post('/api/driver/cash', { cashCents: 0, cardCents: 0 })).status).toBe(403);
    for (const bad of [{ cashCents: -1, cardCents: 0 }, { cashCents: 'beaucoup', cardCents: 0 }, { cashCents: 1.5, cardCents: 0 }, { cashCents: 0 }, { cashCents: 0, cardCents: 0, tip: 1 }]) {
      expect((await driver.post('/api/driver/cash', bad)).status, JSON.stringify(bad)).toBe(422);
    }
    expect((await manager.post(`/api/shops/${shop.id}/shifts/${shift.id}/close`, { countedCashCents: -5 })).status).toBe(422);
    expect((await manager.get(`/api/shops/${shop.id}/shifts?day=hier`)).status).toBe(422);
    const row = (await stack.pool.query('SELECT declared_at, closed_at FROM driver_shifts WHERE id = $1', [shift.id])).rows[0];
    expect(row).toEqual({ declared_at: null, closed_at: null });
  });

  it('ends the shift of a driver whose account is disabled', async () => {
    const shop = await createShop(stack.pool, 'cash-disabled');
    const driver = await new Client(stack.base).login(shop.email('driver2'));
    await driver.post('/api/driver/shift', { onShift: true });
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const driverId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('driver2')])).rows[0].id;
    expect((await manager.post(`/api/staff/${driverId}/disable`)).status).toBe(200);
    const [shift] = (await manager.get(`/api/shops/${shop.id}/shifts`)).body;
    expect(shift.endedAt).not.toBeNull();
  });
});
