// The drivers' side of a shop's slots, on real Postgres, Redis and the API: tonight, a delivery for
// later takes a slot only while the shop's drivers on shift have room in it (a slot's share of a
// round trip each, two orders a trip); a pickup is not counted; with no driver on shift, or past
// tonight's horizon, only the oven paces. A shop of each test's own, its oven large enough never to
// be what refuses.
import { describe, expect, it } from 'vitest';
import { deliveriesPerSlot, DRIVER_HORIZON_MINUTES } from '../../src/lib/domain/driver-capacity.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { Client, createShop, customer, driverOnShift, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ workers: false, env: { LOG_LEVEL: 'error' } });

interface Slots { capacity: number; slots: { start: string; end: string; freeMinutes: number; freeDeliveries: number | null }[] }

async function bigOvenShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  await stack.pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 5000 WHERE id = $1', [shop.id]);
  return shop;
}

const slotsOf = async (shop: number, fulfilment: 'delivery' | 'pickup'): Promise<Slots> => {
  const r = await new Client(stack.base).get(`/api/pizzerias/${shop}/slots?fulfilment=${fulfilment}&pizzas=1`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

const door = { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 };
const orderFor = (shop: number, slot: string, fulfilment: 'delivery' | 'pickup') =>
  new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop, fulfilment, customer, payment: 'on_delivery', slot,
    items: [{ productId: seededProduct('margherita'), quantity: 1 }],
    ...(fulfilment === 'delivery' ? { address: door } : {}),
  });

describe("the drivers' side of tonight's slots", () => {
  it('a slot whose deliveries fill what the drivers on shift take out is not offered for a delivery, and an order for it is refused; a pickup still takes it', async () => {
    const shop = await bigOvenShop('drivers-full');
    const driver = await driverOnShift(stack.base, shop.email('driver1'));
    try {
      // one driver on shift: one delivery a quarter of an hour on the rule's road
      expect(deliveriesPerSlot(1, { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS })).toBe(1);
      const before = await slotsOf(shop.id, 'delivery');
      const tonight = before.slots.find((s) => Date.parse(s.start) > Date.now() + 45 * 60_000)!;
      expect(tonight.freeDeliveries).toBe(1);

      const first = await orderFor(shop.id, tonight.start, 'delivery');
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      // the drivers have no room left in it: not offered for a delivery, the next one is
      const after = await slotsOf(shop.id, 'delivery');
      expect(after.slots.map((s) => s.start)).not.toContain(tonight.start);
      const next = new Date(Date.parse(tonight.start) + 15 * 60_000).toISOString();
      expect(after.slots.find((s) => s.start === next)?.freeDeliveries).toBe(1);

      const refused = await orderFor(shop.id, tonight.start, 'delivery');
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'slot_full', fields: { slot: expect.stringMatching(/driver/) } });
      const count = async () => Number((await stack.pool.query('SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).rows[0].n);
      expect(await count()).toBe(1);

      // a pickup needs no driver: offered and taken
      expect((await slotsOf(shop.id, 'pickup')).slots.map((s) => s.start)).toContain(tonight.start);
      expect((await orderFor(shop.id, tonight.start, 'pickup')).status).toBe(201);

      // a second driver starts their shift: room for one more
      const second = await driverOnShift(stack.base, shop.email('driver2'));
      try {
        expect((await slotsOf(shop.id, 'delivery')).slots.find((s) => s.start === tonight.start)?.freeDeliveries).toBe(1);
        expect((await orderFor(shop.id, tonight.start, 'delivery')).status).toBe(201);
      } finally {
        await second.leave();
      }
    } finally {
      await driver.leave();
    }
  });

  it('with no driver on shift, or past tonight, only the oven paces: the drivers are not counted', async () => {
    const shop = await bigOvenShop('drivers-none');
    const offered = await slotsOf(shop.id, 'delivery');
    expect(offered.slots.every((s) => s.freeDeliveries === null)).toBe(true);
    const slot = offered.slots.find((s) => Date.parse(s.start) > Date.now() + 45 * 60_000)!.start;
    for (let i = 0; i < 3; i++) expect((await orderFor(shop.id, slot, 'delivery')).status).toBe(201);

    const driver = await driverOnShift(stack.base, shop.email('driver1'));
    try {
      const withDriver = await slotsOf(shop.id, 'delivery');
      // tonight the three deliveries fill what one driver takes out; tomorrow is not counted
      expect(withDriver.slots.map((s) => s.start)).not.toContain(slot);
      const tomorrow = withDriver.slots.find((s) => Date.parse(s.start) > Date.now() + (DRIVER_HORIZON_MINUTES + 60) * 60_000)!;
      expect(tomorrow.freeDeliveries).toBeNull();
    } finally {
      await driver.leave();
    }
  });
});
