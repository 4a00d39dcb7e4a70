// The managers' map is fed by the socket alone: a manager's screen gets its shop's drivers and the
// evening's figures when it subscribes, and again within a second or two of an order changing,
// without asking for them; head office gets every shop's; a kitchen screen gets none of it.
import { describe, expect, it } from 'vitest';
import type { FleetUpdate } from '../src/lib/realtime/contract.ts';
import { Client, connectSocket, createShop, move, placeThroughApi, productId, subscribe, waitUntil } from './helpers.ts';
import { useStack } from './services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });

/** A screen subscribed to `req`, and the fleet updates it was sent. */
async function screen(cookie: string, req: Parameters<typeof subscribe>[1]) {
  const socket = await connectSocket(stack.base, { cookie });
  stack.sockets.push(socket);
  const fleet: FleetUpdate[] = [];
  socket.on('fleet:updated', (f) => fleet.push(f));
  const ack = await subscribe(socket, req);
  expect(ack).toMatchObject({ data: { lastEventId: expect.any(Number) } });
  return fleet;
}
const latest = (fleet: FleetUpdate[], shop: number) => fleet.filter((f) => f.pizzeriaId === shop).at(-1);

describe("the managers' map, fed by the socket", () => {
  it("a manager's screen gets its shop's drivers and figures on subscribing, and the figures again when an order is handed over", async () => {
    const shop = await createShop(stack.pool, 'feed');
    const [manager, kitchen, driver] = await Promise.all([shop.email('manager'), shop.email('kitchen'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)));
    await driver.post('/api/driver/shift', { onShift: true });

    const managerFeed = await screen(manager.cookie, { scope: 'shop', pizzeriaId: shop.id });
    const kitchenFeed = await screen(kitchen.cookie, { scope: 'kitchen', pizzeriaId: shop.id });
    const first = (await waitUntil(() => latest(managerFeed, shop.id), 5000, 'the first fleet update'))!;
    expect(first.drivers.map((d) => [d.name, d.onShift, d.worksFor])).toEqual([
      [`driver1 ${shop.slug}`, true, shop.id],
      [`driver2 ${shop.slug}`, false, shop.id],
    ]);
    expect(first.figures).toMatchObject({ pizzeriaId: shop.id, done: 0 });

    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: await productId(stack.pool, 'margherita'), fulfilment: 'pickup' });
    for (const to of ['preparing', 'ready', 'collected']) await move(kitchen, placed.id, to);
    await waitUntil(() => latest(managerFeed, shop.id)?.figures?.done === 1, 5000, 'the figures with the order handed over');
    // only the shop's managers and head office hear of the fleet: never a kitchen screen
    expect(kitchenFeed).toEqual([]);
  });

  it('head office gets every shop, each as its own update', async () => {
    const a = await createShop(stack.pool, 'feed-a');
    const b = await createShop(stack.pool, 'feed-b');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const hq = await screen(admin.cookie, { scope: 'hq' });
    await waitUntil(() => latest(hq, a.id) && latest(hq, b.id), 5000, 'both shops');
    expect(latest(hq, b.id)!.drivers.every((d) => d.worksFor === b.id)).toBe(true);
  });
});
