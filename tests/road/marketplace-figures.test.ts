// The shop's figures count the platforms' orders like its own: an Uber Eats order made and handed to
// its courier is in the day's speed of service and in the promises kept, beside a counter order.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { placePlatformOrder } from '../marketplace-fixtures.ts';
import { promisesOfDay } from '../../src/lib/server/kitchen/promises.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });
let shop: Awaited<ReturnType<typeof createShop>>;
let manager: Client;
let kitchen: Client;
let counter: Client;

beforeAll(async () => {
  shop = await createShop(stack.pool, 'mkt-figures');
  [manager, kitchen, counter] = await Promise.all(['manager', 'kitchen', 'counter'].map((w) => new Client(stack.base).login(shop.email(w as 'manager'))));
});

async function serve(id: string) {
  await move(kitchen, id, 'preparing');
  await move(kitchen, id, 'ready');
  await move(counter, id, 'collected');
}

describe("the platforms' orders in the shop's figures", () => {
  it('are counted in the speed of service and the promises, beside our own', async () => {
    const before = (await manager.get(`/api/shops/${shop.id}/speed`)).body;
    expect(before.overall.total.count).toBe(0);

    const own = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Camille', phone: '06 12 34 56 78' },
      items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    const platform = await placePlatformOrder(stack.pool, stack.base, { pizzeriaId: shop.id, productId: seededProduct('reine'), quantity: 2 });
    expect(platform.channel).toBe('marketplace');
    await serve(own.body.id);
    await serve(platform.id);

    const speed = (await manager.get(`/api/shops/${shop.id}/speed`)).body;
    expect(speed.overall.total.count).toBe(2);
    // both promised and collected: both in the promise figures the speed page shows
    const { rows } = await stack.pool.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [shop.email('manager')]);
    const actor = { kind: 'staff' as const, id: rows[0].id, role: 'manager' as const, pizzeriaId: shop.id, name: 'Manager' };
    const promises = await promisesOfDay(stack.pool, actor, shop.id, { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS });
    expect(promises.figures.count).toBe(2);
  });
});
