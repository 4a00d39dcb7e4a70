// Where orders go, through the API on real Postgres: the spot the page sends (or the geocoder's,
// asked only when there is none), the shop's zone (a radius or a polygon), the refusal that names
// who delivers there, opening hours, the door details and the promise, and the PIN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededProduct, Client, SHOPS, address, addressFor, createShop, customer, startTestApp } from '../helpers.ts';
import { useStack } from '../services.ts';
import { startGeocoderStub, type GeocoderStub } from '../geocoder-stub.ts';

let stub: GeocoderStub;
beforeAll(async () => {
  stub = await startGeocoderStub();
});
afterAll(() => stub.close());
const stack = useStack({ env: () => ({ GEOCODER_URL: stub.url }) });
const margherita = seededProduct('margherita');
let counter: Client;

beforeAll(async () => {
  counter = await new Client(stack.base).login('counter.bastille@ocpizza.test');
});

const orderCount = async () => Number((await stack.pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);
const asked = () => stub.asked.length;

function body(shop: number, addr: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return { pizzeriaId: shop, fulfilment: 'delivery', customer, address: addr, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery', ...overrides };
}
const noSpot = ({ lat: _lat, lng: _lng, ...rest }: typeof address) => rest;

describe('placing a delivery', () => {
  it('uses the spot the page sent without asking the geocoder, and the door details travel with the order', async () => {
    const before = asked();
    const r = await new Client(stack.base).post(
      '/api/orders',
      body(SHOPS.bastille, { ...address, locatedBy: 'device', doorCode: '4821B', floor: '3e gauche', instructions: 'Interphone en panne, appelez' }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(asked()).toBe(before);
    const view = (await new Client(stack.base).get(`/api/track/${r.body.trackingToken}`)).body;
    expect(view.address).toMatchObject({ lat: address.lat, lng: address.lng, locatedBy: 'device', doorCode: '4821B', floor: '3e gauche', instructions: 'Interphone en panne, appelez' });
    // staff of the shop see the same
    const staff = (await counter.get(`/api/orders/${r.body.id}`)).body;
    expect(staff.address).toMatchObject({ doorCode: '4821B', floor: '3e gauche' });
  });

  it('asks the geocoder only when the page has no spot, and keeps what it found', async () => {
    const before = asked();
    const r = await new Client(stack.base).post('/api/orders', body(SHOPS.canal, noSpot(addressFor(SHOPS.canal))));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(asked()).toBe(before + 1);
    const view = (await new Client(stack.base).get(`/api/track/${r.body.trackingToken}`)).body;
    expect(view.address).toMatchObject({ lat: 48.87, lng: 2.364, locatedBy: 'geocoder' });
  });

  it('refuses an address no shop delivers to (Marseille), naming the nearest shop, and places nothing', async () => {
    const n = await orderCount();
    const r = await new Client(stack.base).post('/api/orders', body(SHOPS.bastille, { street: '12 rue de la République', postcode: '13001', city: 'Marseille' }));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('outside_delivery_zone');
    expect(r.body.error.fields.address).toMatch(/no OC Pizza shop delivers here; the nearest is OC Pizza \w+/);
    expect(r.body.error.shop).toMatchObject({ delivers: false });
    expect(await orderCount()).toBe(n);
  });

  it('refuses a shop that does not deliver to the spot, naming the one that does', async () => {
    const n = await orderCount();
    // rue des Dames is Batignolles' street, 4.5 km from Bastille
    const r = await new Client(stack.base).post('/api/orders', body(SHOPS.bastille, addressFor(SHOPS.batignolles)));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('outside_delivery_zone');
    expect(r.body.error.shop).toMatchObject({ id: SHOPS.batignolles, name: 'OC Pizza Batignolles', delivers: true });
    expect(r.body.error.fields.address).toContain('OC Pizza Batignolles');
    expect(await orderCount()).toBe(n);
  });

  it('asks a customer to place the pin when no one can find the address; staff on the phone may take it', async () => {
    const unknown = { street: '1 impasse Inconnue', postcode: '99999', city: 'Nulle-Part' };
    const r = await new Client(stack.base).post('/api/orders', body(SHOPS.bastille, unknown));
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'address_not_located' });
    expect(r.body.error.fields.address).toMatch(/place the pin/);
    const byPhone = await counter.post('/api/orders', body(SHOPS.bastille, unknown, { channel: 'phone' }));
    expect(byPhone.status, JSON.stringify(byPhone.body)).toBe(201);
    expect((await counter.get(`/api/orders/${byPhone.body.id}`)).body.address).toMatchObject({ lat: null, lng: null, locatedBy: 'staff' });
  });

  it('keeps taking orders when the geocoder is down: with the spot the page has, or by staff', async () => {
    const down = await startTestApp({ GEOCODER_URL: 'http://127.0.0.1:9', GEOCODER_TIMEOUT_MS: '300' });
    try {
      const withSpot = await new Client(down.base).post('/api/orders', body(SHOPS.bastille, { ...address, locatedBy: 'pin' }));
      expect(withSpot.status, JSON.stringify(withSpot.body)).toBe(201);
      const without = await new Client(down.base).post('/api/orders', body(SHOPS.bastille, noSpot(address)));
      expect(without.status).toBe(422);
      expect(without.body.error.code).toBe('address_not_located');
      const staff = await new Client(down.base).login('counter.bastille@ocpizza.test');
      expect((await staff.post('/api/orders', body(SHOPS.bastille, noSpot(address), { channel: 'phone' }))).status).toBe(201);
    } finally {
      await down.app.close();
    }
  });

  it('refuses a spot with half its coordinates or out of range', async () => {
    for (const addr of [{ ...noSpot(address), lat: 48.86 }, { ...address, lat: 120 }, { ...address, lng: Number.NaN }, { ...address, locatedBy: 'satellite' }, { ...address, doorCode: 'x'.repeat(21) }]) {
      const r = await new Client(stack.base).post('/api/orders', body(SHOPS.bastille, addr));
      expect(r.status, JSON.stringify(addr)).toBe(422);
    }
  });

  it('follows a zone drawn as a polygon instead of the radius', async () => {
    const shop = await createShop(stack.pool, 'polygon');
    // a thin band from the shop eastwards: Oberkampf (north-east) is outside it, the band's end inside
    await stack.pool.query(`UPDATE pizzerias SET delivery_polygon = $2 WHERE id = $1`, [
      shop.id,
      JSON.stringify([{ lat: 48.859, lng: 2.369 }, { lat: 48.861, lng: 2.369 }, { lat: 48.861, lng: 2.4 }, { lat: 48.859, lng: 2.4 }]),
    ]);
    const inside = await new Client(stack.base).post('/api/orders', body(shop.id, { street: '80 rue de la Roquette', postcode: '75011', city: 'Paris', lat: 48.86, lng: 2.39 }));
    expect(inside.status, JSON.stringify(inside.body)).toBe(201);
    const outside = await new Client(stack.base).post('/api/orders', body(shop.id, address));
    expect(outside.status).toBe(422);
    expect(outside.body.error.code).toBe('outside_delivery_zone');
  });
});

describe('opening hours', () => {
  it('refuses online orders while a shop is closed, saying when it opens; staff can still take a call', async () => {
    const shop = await createShop(stack.pool, 'closed');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const allDay: [string, string][] = [['00:00', '24:00']];
    await stack.pool.query('UPDATE pizzerias SET opening_hours = $2 WHERE id = $1', [
      shop.id,
      JSON.stringify({ week: { 1: allDay, 2: allDay, 3: allDay, 4: allDay, 5: allDay, 6: allDay, 7: allDay }, closedOn: [today] }),
    ]);
    const n = await orderCount();
    const r = await new Client(stack.base).post('/api/orders', body(shop.id, address));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('shop_closed');
    expect(r.body.error.fields.pizzeriaId).toMatch(/is closed now; it opens/);
    expect(new Date(r.body.error.shop.opensAt).getTime()).toBeGreaterThan(Date.now());
    expect(await orderCount()).toBe(n);
    const staff = await new Client(stack.base).login(shop.email('counter'));
    expect((await staff.post('/api/orders', body(shop.id, address, { channel: 'phone' }))).status).toBe(201);
  });
});

describe('which shop delivers here', () => {
  it('answers for an address with the shops that deliver there first, nearest first', async () => {
    const r = await new Client(stack.base).get('/api/delivery/where?street=3%20rue%20Lepic&postcode=75018&city=Paris');
    expect(r.status).toBe(200);
    expect(r.body.at).toEqual({ lat: 48.8838, lng: 2.3329 });
    expect(r.body.shops[0]).toMatchObject({ id: SHOPS.montmartre, delivers: true, open: true });
    const delivering = r.body.shops.filter((s: { delivers: boolean }) => s.delivers);
    expect(delivering.map((s: { distanceM: number }) => s.distanceM)).toEqual([...delivering.map((s: { distanceM: number }) => s.distanceM)].sort((a, b) => a - b));
    expect(r.body.shops.findIndex((s: { delivers: boolean }) => !s.delivers)).toBeGreaterThanOrEqual(delivering.length);
  });

  it('answers for a spot without asking the geocoder, says when no one delivers, and refuses nonsense', async () => {
    const before = asked();
    const spot = await new Client(stack.base).get(`/api/delivery/where?lat=${address.lat}&lng=${address.lng}`);
    expect(spot.status).toBe(200);
    expect(asked()).toBe(before);
    expect(spot.body.shops[0].delivers).toBe(true);
    const marseille = await new Client(stack.base).get('/api/delivery/where?street=12%20rue%20de%20la%20R%C3%A9publique&postcode=13001&city=Marseille');
    expect(marseille.body.shops.every((s: { delivers: boolean }) => !s.delivers)).toBe(true);
    for (const q of ['lat=91&lng=2', 'lat=abc&lng=2', 'lat=48.8', 'street=&city=Paris', 'street=x']) {
      expect((await new Client(stack.base).get(`/api/delivery/where?${q}`)).status, q).toBe(422);
    }
  });
});

describe('the promise and the PIN', () => {
  it('promises later when the kitchen has more ahead, and gives the customer alone a 4-digit PIN', async () => {
    const shop = await createShop(stack.pool, 'promise');
    const first = await new Client(stack.base).post('/api/orders', body(shop.id, address));
    expect(first.status).toBe(201);
    const firstView = (await new Client(stack.base).get(`/api/track/${first.body.trackingToken}`)).body;
    const promised = new Date(firstView.promisedAt).getTime() - new Date(firstView.timestamps.created).getTime();
    expect(promised).toBeGreaterThanOrEqual(15 * 60_000);
    expect(promised).toBeLessThanOrEqual(60 * 60_000);
    expect(firstView.deliveryPin).toMatch(/^\d{4}$/);
    // twenty pizzas arrive ahead of the next customer
    await new Client(stack.base).post('/api/orders', body(shop.id, address, { items: [{ productId: margherita, quantity: 10 }, { productId: seededProduct('reine'), quantity: 10 }] }));
    const next = await new Client(stack.base).post('/api/orders', body(shop.id, address));
    const nextView = (await new Client(stack.base).get(`/api/track/${next.body.trackingToken}`)).body;
    expect(new Date(nextView.promisedAt).getTime() - new Date(nextView.timestamps.created).getTime()).toBeGreaterThan(promised);
    // the shop's screens never carry the PIN
    const staff = await new Client(stack.base).login(shop.email('counter'));
    const seen = (await staff.get(`/api/orders/${first.body.id}`)).body;
    expect(seen.id).toBe(first.body.id);
    expect(seen).not.toHaveProperty('deliveryPin');
    expect(JSON.stringify(seen)).not.toContain(`"${firstView.deliveryPin}"`);
  });

  it('tells the storefront what a pickup would be promised, as placing it promises, and refuses nonsense', async () => {
    const shop = await createShop(stack.pool, 'pickup-promise');
    const said = await new Client(stack.base).get(`/api/pizzerias/${shop.id}/promise?pizzas=2`);
    expect(said.status).toBe(200);
    expect(said.body.range.from).toBeLessThan(said.body.minutes);
    expect(said.body.range.to).toBeGreaterThan(said.body.minutes);
    const placed = await new Client(stack.base).post('/api/orders', { ...body(shop.id, {}), fulfilment: 'pickup', address: undefined, items: [{ productId: margherita, quantity: 2 }] });
    expect(placed.status).toBe(201);
    const view = (await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}`)).body;
    expect(Math.round((new Date(view.promisedAt).getTime() - new Date(view.timestamps.created).getTime()) / 60_000)).toBe(said.body.minutes);
    for (const q of ['pizzas=abc', 'pizzas=0', 'pizzas=99', 'x=1']) {
      expect((await new Client(stack.base).get(`/api/pizzerias/${shop.id}/promise?${q}`)).status, q).toBe(422);
    }
    expect((await new Client(stack.base).get('/api/pizzerias/999999/promise')).status).toBe(404);
  });

  it("the storefront's promise follows the kitchen's queue as a customer changes and cancels: only pizzas count", async () => {
    const shop = await createShop(stack.pool, 'queue');
    const promise = async () => {
      const r = await new Client(stack.base).get(`/api/delivery/where?lat=${address.lat}&lng=${address.lng}`);
      expect(r.status).toBe(200);
      return (r.body.shops as { id: number; promiseMinutes: number }[]).find((s) => s.id === shop.id)!.promiseMinutes;
    };
    const empty = await promise();
    const coca = seededProduct('coca-cola');
    const placed = await new Client(stack.base).post(
      '/api/orders',
      body(shop.id, address, { items: [{ productId: margherita, quantity: 1 }, { productId: coca, quantity: 6 }] }),
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const one = await promise();
    // the customer makes it 16 pizzas (and as many drinks, which the oven does not see): 15 more
    // pizzas ahead, at 2 minutes each on 2 ovens, is 15 minutes more
    const changed = await new Client(stack.base).patch(`/api/track/${placed.body.trackingToken}`, {
      items: [{ productId: margherita, quantity: 16 }, { productId: coca, quantity: 6 }],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const sixteen = await promise();
    expect(sixteen - one).toBeGreaterThanOrEqual(10);
    expect(sixteen - one).toBeLessThanOrEqual(20);
    // cancelled, the queue is empty again
    expect((await new Client(stack.base).post(`/api/track/${placed.body.trackingToken}/cancel`, {})).status).toBe(200);
    expect(await promise()).toBe(empty);
  });
});
