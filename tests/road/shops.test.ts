// Shops in the back office, against real Postgres, Redis and Socket.io: the rush switch pauses
// online orders and the open storefronts know at once; head office keeps hours, days closed, zone
// and target preparation time, and opens a new shop; managers touch only their own shop's switch.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, addressFor, connectSocket, createShop, customer, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import type { ShopStatus } from '../../src/lib/shapes/views.ts';

const stack = useStack();
const margherita = seededProduct('margherita');

const settings = (over: Record<string, unknown> = {}) => ({
  name: 'OC Pizza Test',
  address: '1 rue de Test, 75011 Paris',
  lat: 48.86,
  lng: 2.37,
  phone: '01 23 45 67 89',
  deliveryRadiusM: 3000,
  ...over,
});
const online = (shop: number) => new Client(stack.base).post('/api/orders', {
  pizzeriaId: shop, fulfilment: 'delivery', customer, address: addressFor(shop), items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
});

describe('the rush switch', () => {
  it('a manager pauses online orders: open storefronts know at once, online orders are refused, the phone still takes them; resumed, they go in', async () => {
    const shop = await createShop(stack.pool, 'rush');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const seen: ShopStatus[] = [];
    visitor.on('shop:status', (e) => seen.push(e));
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });

    const paused = await manager.post(`/api/shops/${shop.id}/online`, { paused: true });
    expect(paused.body).toMatchObject({ id: shop.id, onlinePaused: true });
    await waitUntil(() => seen.some((e) => e.pizzeriaId === shop.id && e.onlinePaused), 5000, 'the storefront told');
    const refused = await online(shop.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('shop_paused');
    expect((await counter.post('/api/orders', { pizzeriaId: shop.id, channel: 'phone', fulfilment: 'pickup', customer, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery' })).status).toBe(201);

    await manager.post(`/api/shops/${shop.id}/online`, { paused: 'false' });
    await waitUntil(() => seen.some((e) => e.pizzeriaId === shop.id && !e.onlinePaused), 5000, 'the storefront told again');
    expect((await online(shop.id)).status).toBe(201);
    const { rows } = await stack.pool.query(`SELECT action FROM audit_log WHERE entity = 'shop' AND entity_id = $1 ORDER BY id`, [String(shop.id)]);
    expect(rows.map((r) => r.action)).toEqual(['shop.pause_online', 'shop.resume_online']);

    // another shop's manager, the kitchen, a bad value
    const other = await createShop(stack.pool, 'rush-other');
    expect((await (await new Client(stack.base).login(other.email('manager'))).post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(403);
    expect((await (await new Client(stack.base).login(shop.email('kitchen'))).post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(403);
    expect((await manager.post(`/api/shops/${shop.id}/online`, { paused: 'maybe' })).status).toBe(422);
  });
});

describe("head office keeps a shop's settings", () => {
  it('hours and a day closed refuse online orders with when it opens; the zone and the target are kept; managers may not', async () => {
    const shop = await createShop(stack.pool, 'hours');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const every = '00:00-12:00, 12:00-23:59';
    const week = Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [`hours${d}`, every]));
    const saved = await admin.put(`/api/shops/${shop.id}`, settings({ ...week, closedOn: today, deliveryRadiusM: 2500, prepTargetMinutes: 12, startTargetMinutes: 3, handoverTargetMinutes: 8 }));
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ prepTargetSeconds: 720, startTargetSeconds: 180, handoverTargetSeconds: 480, zone: { kind: 'radius', radiusM: 2500 }, openingHours: { closedOn: [today] } });
    expect(saved.body.openingHours.week['1']).toEqual([['00:00', '12:00'], ['12:00', '23:59']]);
    const closed = await online(shop.id);
    expect(closed.status).toBe(422);
    expect(closed.body.error.code).toBe('shop_closed');
    expect(closed.body.error.shop.opensAt).not.toBeNull();

    // every day empty: open at any hour again; a drawn zone replaces the radius
    const open = await admin.put(`/api/shops/${shop.id}`, settings({ deliveryPolygon: '48.87, 2.36\n48.87, 2.39\n48.85, 2.39\n48.85, 2.36' }));
    expect(open.body).toMatchObject({ openingHours: null, prepTargetSeconds: null, startTargetSeconds: null, handoverTargetSeconds: null, zone: { kind: 'polygon' } });
    expect(open.body.zone.points).toHaveLength(4);
    expect((await online(shop.id)).status).toBe(201);

    // bad input: the field named, nothing changed
    for (const [body, field] of [
      [settings({ hours1: '25:00-26:00' }), 'hours1'],
      [settings({ closedOn: 'Noël' }), 'closedOn'],
      [settings({ deliveryPolygon: '48.87, 2.36\n48.87, 2.39' }), 'deliveryPolygon'],
      [settings({ lat: 120 }), 'lat'],
      [settings({ deliveryRadiusM: 50 }), 'deliveryRadiusM'],
      [settings({ prepTargetMinutes: 0 }), 'prepTargetMinutes'],
      [settings({ startTargetMinutes: 61 }), 'startTargetMinutes'],
      [settings({ handoverTargetMinutes: -5 }), 'handoverTargetMinutes'],
    ] as const) {
      const r = await admin.put(`/api/shops/${shop.id}`, body);
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], field).toBeTruthy();
    }
    expect((await (await new Client(stack.base).login(shop.email('manager'))).put(`/api/shops/${shop.id}`, settings())).status).toBe(403);
    expect((await stack.pool.query('SELECT delivery_polygon IS NOT NULL AS drawn FROM pizzerias WHERE id = $1', [shop.id])).rows[0].drawn).toBe(true);
  });

  it("head office words the shop's cross-contact statement in French and English; empty, the chain's words; bad words refused, nothing changed", async () => {
    const shop = await createShop(stack.pool, 'traces');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const fr = 'Peut contenir : sésame, fruits à coque (noix, amandes).';
    const en = 'May contain: sesame, nuts (walnuts, almonds).';
    const saved = await admin.put(`/api/shops/${shop.id}`, settings({ crossContactFr: fr, crossContactEn: en }));
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.crossContact).toEqual({ fr, en });
    // what the storefront reads
    const listed = await new Client(stack.base).get('/api/pizzerias');
    expect(listed.body.find((p: { id: number }) => p.id === shop.id).crossContact).toEqual({ fr, en });
    for (const [body, field] of [
      [settings({ crossContactFr: 'x'.repeat(401) }), 'crossContactFr'],
      [settings({ crossContactEn: 'May contain\u001b[2J traces' }), 'crossContactEn'],
    ] as const) {
      const r = await admin.put(`/api/shops/${shop.id}`, body);
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], field).toBeTruthy();
    }
    expect((await stack.pool.query('SELECT cross_contact_fr, cross_contact_en FROM pizzerias WHERE id = $1', [shop.id])).rows[0]).toEqual({ cross_contact_fr: fr, cross_contact_en: en });
    // left empty: the chain's words again
    const cleared = await admin.put(`/api/shops/${shop.id}`, settings({ crossContactFr: '  ', crossContactEn: '' }));
    expect(cleared.body.crossContact).toEqual({ fr: null, en: null });
  });

  it('opens a new shop: empty stock (nothing to sell) until its first delivery', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const slug = `t-new-${Date.now().toString(36)}`;
    const made = await admin.post('/api/shops', settings({ slug, name: 'OC Pizza Neuve' }));
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await admin.post('/api/shops', settings({ slug, name: 'Doublon' }))).status).toBe(409);
    const menu = (await new Client(stack.base).get(`/api/pizzerias/${made.body.id}/menu`)).body as { available: boolean }[];
    expect(menu.length).toBeGreaterThan(5);
    expect(menu.every((p) => !p.available)).toBe(true);
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n, sum(on_hand)::int AS total FROM stock WHERE pizzeria_id = $1', [made.body.id]);
    expect(rows[0]).toMatchObject({ total: 0 });
    expect(rows[0].n).toBeGreaterThan(10);
  });
});
