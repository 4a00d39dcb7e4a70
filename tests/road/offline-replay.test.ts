// A driver's phone in a tunnel, against the real server: the taps made offline (the page's own
// client, src/lib/shared/staff-actions.ts, with real HTTP) and the positions kept on the phone
// (src/lib/faces/driver/position-sharer.ts, over the real socket) go when the network returns: in the order
// they were made, each once, and one made stale meanwhile fails visibly and changes nothing.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { seededProduct, Client, assignDriver, connectSocket, createShop, move, placeThroughApi, storedEvents, userId, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { OnlineSignal, StaffActions, type Outcome } from '../../src/lib/shared/staff-actions.ts';
import { PositionSharer, type SendResult } from '../../src/lib/faces/driver/position-sharer.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';
import type { PositionReport } from '../../src/lib/realtime/contract.ts';
import { fileDatabase } from '../file-database.ts';

const stack = useStack();
const margherita = seededProduct('margherita');

/** The page's fetch, from Node: relative URLs on this server, with the driver's session cookie. */
function pageFetch(client: Client, loseAnswerOnce: Set<string> = new Set()): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(stack.base + String(url), { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: client.cookie } });
    // the server did it, but the answer never reached the phone (the tunnel swallowed it)
    for (const id of loseAnswerOnce) {
      if (String(url).includes(id) && init?.method === 'POST') {
        loseAnswerOnce.delete(id);
        throw new TypeError('network connection lost');
      }
    }
    return res;
  }) as typeof fetch;
}

describe('a driver offline', () => {
  it('taps made in a tunnel go when the network returns, in order and once each; one made stale meanwhile fails visibly and changes nothing', async () => {
    const shop = await createShop(stack.pool, 'tunnel');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    const driverId = await userId(stack.pool, shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    const orders: OrderView[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita });
      await move(kitchen, placed.id, 'preparing');
      await move(kitchen, placed.id, 'ready');
      const assigned = await assignDriver(stack.pool, placed.id);
      expect(assigned).toMatchObject({ assigned: true, driverId });
      orders.push(assigned.assigned ? assigned.order : (null as never));
    }
    const [a, b, c] = orders;

    // in the tunnel: three pick-ups tapped, none can go
    const online = new OnlineSignal(false);
    const taps = new StaffActions({ fetch: pageFetch(driver, new Set([a.id])), online, retryDelayMs: () => 100 });
    const pickUp = (o: OrderView) => taps.submit({ kind: 'advance', orderId: o.id, number: o.number, to: 'out_for_delivery', version: o.version });
    const outcomes: Promise<Outcome>[] = [pickUp(a), pickUp(b), pickUp(c)];
    expect(taps.list().map((e) => e.state)).toEqual(['waiting', 'waiting', 'waiting']);
    // a second tap on a waiting ticket is the same tap, not another
    void pickUp(a);
    expect(taps.pending).toBe(3);
    const { rows: before } = await stack.pool.query<{ status: string }>('SELECT status FROM orders WHERE id = ANY($1)', [[a.id, b.id, c.id]]);
    expect(before.map((r) => r.status)).toEqual(['ready', 'ready', 'ready']);

    // meanwhile the manager takes order C off the driver and, on second thought, gives it back:
    // same driver, but the phone's C is now stale
    const off = await manager.post(`/api/orders/${c.id}/assign`, { driverId: null });
    expect(off.status).toBe(200);
    expect((await manager.post(`/api/orders/${c.id}/assign`, { driverId, version: off.body.version })).status).toBe(200);

    // out of the tunnel
    online.set(true);
    const [oa, ob, oc] = await Promise.all(outcomes);

    // A: its answer was lost once; the resend saw its own move and is done, applied once
    expect(oa).toMatchObject({ ok: true, result: { id: a.id, status: 'out_for_delivery' } });
    expect(ob).toMatchObject({ ok: true, result: { id: b.id, status: 'out_for_delivery' } });
    // C: refused as stale, with the order as it is now, nothing changed
    expect(oc.ok).toBe(false);
    if (!oc.ok) {
      expect(oc.error).toMatchObject({ code: 'stale', retryable: false });
      expect(oc.error.order).toMatchObject({ id: c.id, status: 'ready' });
      expect(oc.error.order?.version).toBeGreaterThan(c.version);
    }
    expect(taps.get(`order:${c.id}`)).toMatchObject({ state: 'failed' });

    // once each, in the order tapped
    const pickups = async (id: string) => (await storedEvents(stack.pool, id)).filter((e) => e.status === 'out_for_delivery');
    const [pa, pb, pc] = [await pickups(a.id), await pickups(b.id), await pickups(c.id)];
    expect(pa).toHaveLength(1);
    expect(pb).toHaveLength(1);
    expect(pc).toHaveLength(0);
    expect(pa[0].id).toBeLessThan(pb[0].id);
    taps.dispose();
  });

  it('positions kept on the phone go out oldest first when the network returns, each taken once; sent again, the server refuses them', async () => {
    const shop = await createShop(stack.pool, 'tunnel-gps');
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    const driverId = await userId(stack.pool, shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await connectSocket(stack.base, { cookie: driver.cookie });
    stack.sockets.push(phone);
    const send = (p: PositionReport) =>
      new Promise<SendResult>((resolve) =>
        phone.emit('driver:position', p as never, ((ack: { data?: unknown; error?: { code: string } }) =>
          resolve(ack?.data ? 'accepted' : ack?.error?.code === 'rate_limited' ? 'rate_limited' : 'refused')) as never),
      );

    // four fixes in the tunnel, 6 s and 100 m apart (taken on the phone a minute ago)
    const t0 = Date.now() - 60_000;
    const fixes = [0, 1, 2, 3].map((i) => ({ lat: 48.86 + i * 0.0009, lng: 2.37, accuracy: 12, at: t0 + i * 6000 }));
    const sharer = new PositionSharer({ send });
    sharer.setOnline(false);
    for (const f of fixes) expect(sharer.offer(f)).toBe(true);
    expect(sharer.waiting).toBe(4);

    sharer.setOnline(true);
    await waitUntil(() => sharer.waiting === 0, 10_000, 'the fixes to go');
    expect({ sent: sharer.sent, refused: sharer.refused }).toEqual({ sent: 4, refused: 0 });
    // the latest kept is the newest fix
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const latest = await redis.hgetall(`${fileDatabase().queuePrefix}:pos:driver:${driverId}`);
      expect(Number(latest.at)).toBe(fixes[3].at);
    } finally {
      redis.disconnect();
    }

    // the same fixes again (a second tab, a replay): nothing older than what was kept is taken
    const again = new PositionSharer({ send });
    for (const f of fixes) again.offer(f);
    await waitUntil(() => again.waiting === 0, 10_000, 'the replay to be answered');
    expect({ sent: again.sent, refused: again.refused }).toEqual({ sent: 0, refused: 4 });
  });
});
