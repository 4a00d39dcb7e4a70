// The Deliveroo provider against the fake Deliveroo (tests/deliveroo-server.ts): its token, its
// reading of each signed webhook, and every call it makes landing on the fake's sites and orders.
// No database: the provider is the edge, the core's intake is tested elsewhere.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { DeliverooError, DeliverooProvider, deliverooFor } from '../../src/lib/server/marketplaces/deliveroo.ts';
import { marketplaceById, marketplacesFor } from '../../src/lib/server/marketplaces/registry.ts';
import type { MarketplaceMenu, MarketplaceNotice, MarketplaceProvider } from '../../src/lib/server/marketplaces/provider.ts';
import { FakeDeliveroo } from '../deliveroo-server.ts';
import { signature } from '../deliveroo-webhooks.ts';

const fake = new FakeDeliveroo();
let clock = Date.now();
let provider: DeliverooProvider;

/** Our webhook endpoint, as the route will be: verify, then read; answers as told (for retries). */
const inbox: { raw: Buffer; headers: IncomingHttpHeaders; notices: MarketplaceNotice[] }[] = [];
let answers: number[] = [];
let receiver: Server;

beforeAll(async () => {
  await fake.start();
  fake.addSite('site-bastille');
  fake.retryDelaysMs = [40, 80, 160];
  provider = new DeliverooProvider({
    clientId: fake.clientId, clientSecret: fake.clientSecret, webhookSecret: fake.webhookSecret, brandId: fake.brandId,
    apiUrl: fake.url, authUrl: fake.authUrl, now: () => clock,
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const status = answers.shift() ?? 200;
      if (status === 200) {
        if (!provider.verify(raw, req.headers)) return void res.writeHead(401).end();
        inbox.push({ raw, headers: req.headers, notices: provider.read(raw, req.headers) });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  fake.target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/marketplaces/deliveroo/webhook`;
});

afterAll(async () => {
  await fake.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

beforeEach(async () => {
  await fake.settle();
  inbox.length = 0;
  answers = [];
  fake.acceptDeadlineMs = 10 * 60_000;
});

const ref = (externalId: string) => ({ storeId: 'site-bastille', externalId });
const tokenRequests = () => fake.calls.filter((c) => c.path === '/oauth2/token').length;
const callsTo = (orderId: string) => fake.calls.filter((c) => c.path.startsWith(`/order/v1/orders/${orderId}`)).map((c) => ({ method: c.method, path: c.path.slice(`/order/v1/orders/${orderId}`.length), body: c.body, status: c.status }));
const last = () => inbox.at(-1)!.notices[0];

async function placed(spec: Parameters<FakeDeliveroo['placeOrder']>[1] = {}) {
  const order = fake.placeOrder('site-bastille', spec);
  await fake.settle();
  return order;
}

describe('the chain connects Deliveroo with its settings', () => {
  it('is listed among the platforms, and takes orders only once all four credentials are set', () => {
    const none = marketplaceById(marketplacesFor(parseConfig({})), 'deliveroo');
    expect(none?.label).toBe('Deliveroo');
    expect(none?.configured).toBe(false);
    const set = deliverooFor(parseConfig({
      DELIVEROO_CLIENT_ID: fake.clientId, DELIVEROO_CLIENT_SECRET: fake.clientSecret,
      DELIVEROO_WEBHOOK_SECRET: fake.webhookSecret, DELIVEROO_BRAND_ID: fake.brandId,
    }));
    expect(set.configured).toBe(true);
  });
});

describe('its token', () => {
  it('is asked for once and reused until shortly before it expires', async () => {
    const before = tokenRequests();
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 0 });
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 0 });
    expect(tokenRequests()).toBe(before + 1);
    clock += 269_000; // 5-minute tokens are renewed 30 s before they end
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 0 });
    expect(tokenRequests()).toBe(before + 1);
    clock += 2_000;
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 0 });
    expect(tokenRequests()).toBe(before + 2);
  });

  it('a call without a valid token is refused, and a token revoked early is replaced once', async () => {
    const bare = await fetch(`${fake.url}/site/v1/brands/${fake.brandId}/sites/site-bastille/status`, { method: 'PUT', body: '{"status":"closed"}' });
    expect(bare.status).toBe(401);
    expect(fake.sites.get('site-bastille')!.status).toBe('open');
    fake.tokens.clear();
    const before = tokenRequests();
    await provider.setStoreStatus('site-bastille', { open: false, busyMinutes: 0 });
    expect(tokenRequests()).toBe(before + 1);
    expect(fake.sites.get('site-bastille')!.status).toBe('closed');
  });

  it('wrong credentials are a permanent refusal', async () => {
    const stranger = new DeliverooProvider({ clientId: fake.clientId, clientSecret: 'not-the-secret-at-all', webhookSecret: 'x'.repeat(16), brandId: fake.brandId, apiUrl: fake.url, authUrl: fake.authUrl });
    const err = await stranger.setAvailability('site-bastille', [{ id: 'p1', available: false }]).catch((e) => e);
    expect(err).toBeInstanceOf(DeliverooError);
    expect(err).toMatchObject({ status: 401, permanent: true });
    expect(fake.sites.get('site-bastille')!.unavailable.has('p1')).toBe(false);
  });
});

describe('a webhook is believed only with its signature', () => {
  const raw = JSON.stringify({ event: 'order.status_update', body: { order: { id: 'fr:1', location_id: 'site-bastille', status: 'canceled' } } });

  it('signed by Deliveroo over the sequence guid and the body', () => {
    expect(provider.verify(Buffer.from(raw), fake.signed('order.status_update', raw, '1499765769'))).toBe(true);
  });

  it('not when the body, the secret or the guid differ, nor without its headers', () => {
    const headers = fake.signed('order.status_update', raw, '1499765769');
    expect(provider.verify(Buffer.from(raw.replace('canceled', 'accepted')), headers)).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-deliveroo-hmac-sha256': signature('another-webhook-secret', '1499765769', raw) })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-deliveroo-sequence-guid': '1499765770' })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-deliveroo-hmac-sha256': undefined })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-deliveroo-sequence-guid': undefined })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-deliveroo-hmac-sha256': 'abc' })).toBe(false);
  });

  it('a forged post reaches no notice, a garbled signed one is refused as unreadable', async () => {
    expect(await fake.sendRaw(raw, { 'x-deliveroo-sequence-guid': '1', 'x-deliveroo-hmac-sha256': '0'.repeat(64) })).toBe(401);
    expect(inbox).toHaveLength(0);
    expect(() => provider.read(Buffer.from('{"event":'), fake.signed('order.new', '{"event":'))).toThrow(/cannot read/);
    const noItems = JSON.stringify({ event: 'order.new', body: { order: { id: 'fr:2', location_id: 'site-bastille', items: [] } } });
    expect(() => provider.read(Buffer.from(noItems), fake.signed('order.new', noItems))).toThrow(/without items/);
  });
});

describe('an order placed on Deliveroo, read into our shape', () => {
  it('collected by a Deliveroo rider: lines with our ids and options, prices in cents, no phone nor address', async () => {
    const order = await placed({ items: [{ id: 'p12', name: 'Regina', cents: 1250, quantity: 2, options: [{ id: 'o7', name: 'Extra mozzarella', cents: 150 }] }, { id: 'p3', name: 'Tiramisu', cents: 600 }] });
    const notice = last();
    expect(notice).toMatchObject({ kind: 'order', eventId: inbox[0].headers['x-deliveroo-sequence-guid'], storeId: 'site-bastille' });
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order).toMatchObject({
      externalId: order.id, code: order.display_id, storeId: 'site-bastille', fulfilment: 'courier', address: null,
      customer: { name: 'Camille', phone: null, note: 'Sans olives, allergie aux noix — NO CUTLERY' },
      promisedAt: order.prepare_for, courierEta: null, totalCents: 2 * 1400 + 600,
    });
    expect(notice.order.lines).toEqual([
      { externalId: 'p12', name: 'Regina', quantity: 2, unitPriceCents: 1400, options: [{ externalId: 'o7', name: 'Extra mozzarella', quantity: 1, priceCents: 150 }], note: null },
      { externalId: 'p3', name: 'Tiramisu', quantity: 1, unitPriceCents: 600, options: [], note: null },
    ]);
    expect(Date.parse(notice.order.acceptBy!) - Date.parse(notice.order.placedAt)).toBe(10 * 60_000);
  });

  it('delivered by the shop itself: the customer’s number, access code and address come with it', async () => {
    await placed({ fulfillment: 'restaurant', firstName: 'Léa' });
    const notice = last();
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order.fulfilment).toBe('shop_delivery');
    expect(notice.order.customer).toMatchObject({ name: 'Léa', phone: '+33 1 85 14 00 00' });
    expect(notice.order.address).toEqual({ street: '12 rue de la Roquette', city: 'Paris', postcode: '75011', lat: 48.8553, lng: 2.3749, instructions: 'Bât. B, 3e étage — access code 482 193' });
    expect(notice.order.totalCents).toBe(1100); // the delivery fee is not food
  });

  it('collected by the customer: a pickup, no phone nor address', async () => {
    await placed({ fulfillment: 'customer', notes: null });
    const notice = last();
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order).toMatchObject({ fulfilment: 'customer_pickup', address: null, customer: { phone: null, note: 'NO CUTLERY' } });
  });

  it('the same event sent again keeps its sequence guid, the id it is processed once by', async () => {
    await placed();
    await fake.resendLast();
    expect(inbox).toHaveLength(2);
    expect(inbox[1].notices[0].eventId).toBe(inbox[0].notices[0].eventId);
  });
});

describe('what the shop does reaches Deliveroo', () => {
  it('accepting: accepted, then the order synced; a retried acceptance goes through, one on a cancelled order does not', async () => {
    const order = await placed();
    await provider.accept(ref(order.id), new Date(clock + 20 * 60_000));
    expect(callsTo(order.id)).toEqual([
      { method: 'PATCH', path: '', body: { status: 'accepted' }, status: 204 },
      { method: 'POST', path: '/sync_status', body: { status: 'succeeded', occurred_at: expect.any(String) }, status: 204 },
    ]);
    expect(fake.orders.get(order.id)).toMatchObject({ status: 'accepted', sync_status: 'succeeded' });
    await provider.accept(ref(order.id), new Date());
    expect(callsTo(order.id).slice(2).map((c) => `${c.method}${c.path} ${c.status}`)).toEqual(['PATCH 409', 'GET 200', 'POST/sync_status 409']);
    expect(fake.orders.get(order.id)!.status_log.filter((s) => s.status === 'accepted')).toHaveLength(1);
    await fake.settle();
    expect(inbox.at(-1)!.notices[0]).toMatchObject({ kind: 'other', type: 'order.status_update:accepted' });
    const gone = await placed();
    fake.cancelOrder(gone.id);
    await expect(provider.accept(ref(gone.id), new Date())).rejects.toMatchObject({ status: 409, permanent: true });
  });

  it('denying: rejected with the reason in Deliveroo’s words and the explanation', async () => {
    const reasons = [['store_closed', 'closing_early'], ['store_busy', 'busy'], ['item_unavailable', 'ingredient_unavailable'], ['other', 'other']] as const;
    for (const [ours, theirs] of reasons) {
      const order = await placed();
      await provider.deny(ref(order.id), ours, 'Plus de pâte à pizza');
      expect(callsTo(order.id)).toEqual([{ method: 'PATCH', path: '', body: { status: 'rejected', reject_reason: theirs, notes: 'Plus de pâte à pizza' }, status: 204 }]);
      expect(fake.orders.get(order.id)!.status).toBe('rejected');
    }
  });

  it('each kitchen step as a prep stage; a scheduled order is confirmed as the kitchen starts it', async () => {
    const asap = await placed();
    await provider.accept(ref(asap.id), new Date());
    for (const step of ['preparing', 'ready', 'collected', 'delivered'] as const) await provider.step(ref(asap.id), step);
    expect(fake.orders.get(asap.id)!.prep_stages.map((s) => s.stage)).toEqual(['in_kitchen', 'ready_for_collection', 'collected']);
    const later = await placed({ asap: false });
    await provider.accept(ref(later.id), new Date());
    await provider.step(ref(later.id), 'preparing');
    expect(fake.orders.get(later.id)).toMatchObject({ status: 'confirmed', prep_stages: [{ stage: 'in_kitchen' }] });
  });

  it('a step on an order never accepted is refused', async () => {
    const order = await placed();
    await expect(provider.step(ref(order.id), 'ready')).rejects.toMatchObject({ status: 409, permanent: true });
  });

  it('cancelling: a rejection while placed; once accepted only Deliveroo’s customer service can, and the error says so', async () => {
    const waiting = await placed();
    await provider.cancel(ref(waiting.id), 'Four en panne');
    expect(fake.orders.get(waiting.id)!.status).toBe('rejected');
    expect(callsTo(waiting.id)[0].body).toEqual({ status: 'rejected', reject_reason: 'other', notes: 'Four en panne' });
    await provider.cancel(ref(waiting.id), 'Four en panne'); // the job retried: already done
    const accepted = await placed();
    await provider.accept(ref(accepted.id), new Date());
    const err = await provider.cancel(ref(accepted.id), 'Four en panne').catch((e) => e);
    expect(err).toMatchObject({ status: 409, permanent: true, message: expect.stringMatching(/customer service/) });
    expect(fake.orders.get(accepted.id)!.status).toBe('accepted');
  });
});

describe('Deliveroo’s own events', () => {
  it('a customer cancellation through Deliveroo reaches us as cancelled; the order can no longer be accepted', async () => {
    const order = await placed();
    fake.cancelOrder(order.id);
    await fake.settle();
    expect(last()).toEqual({ kind: 'cancelled', eventId: expect.any(String), storeId: 'site-bastille', externalId: order.id, reason: 'canceled' });
    await expect(provider.accept(ref(order.id), new Date())).rejects.toMatchObject({ status: 409 });
  });

  it('an order nobody accepts before the deadline is rejected by Deliveroo, and we hear it', async () => {
    fake.acceptDeadlineMs = 150;
    const order = await placed();
    // Deliveroo rejects it at its deadline
    await vi.waitFor(() => expect(fake.orders.get(order.id)!.status).toBe('rejected'), { timeout: 5000, interval: 20 });
    await fake.settle();
    expect(last()).toMatchObject({ kind: 'cancelled', externalId: order.id, reason: 'rejected' });
    await expect(provider.accept(ref(order.id), new Date())).rejects.toMatchObject({ status: 409 });
  });

  it('the rider: assigned with an ETA, nearby, at the counter, gone with the food; unassigned is nothing to show', async () => {
    const order = await placed();
    const seen: MarketplaceNotice[] = [];
    for (const [status, eta] of [['rider_assigned', 480], ['rider_arrived', 60], ['rider_confirmed_at_restaurant', null], ['rider_in_transit', null], ['rider_unassigned', null]] as const) {
      const before = Date.now();
      fake.rider(order.id, status, eta);
      await fake.settle();
      seen.push(last());
      if (eta !== null) expect(Math.abs(Date.parse((last() as { etaAt: string }).etaAt) - (before + eta * 1000))).toBeLessThan(2_000);
    }
    expect(seen.map((n) => (n.kind === 'courier' ? n.state : n.kind))).toEqual(['assigned', 'arriving', 'arrived', 'collected', 'other']);
    expect(seen[0]).toMatchObject({ kind: 'courier', storeId: 'site-bastille', externalId: order.id });
  });

  it('a webhook we fail to take is posted again with growing waits, the same event each time', async () => {
    answers = [500, 503, 500];
    const order = fake.placeOrder('site-bastille');
    await fake.settle();
    const tries = fake.attempts.filter((a) => a.event === 'order.new').slice(-4);
    expect(tries.map((t) => t.status)).toEqual([500, 503, 500, 200]);
    expect(new Set(tries.map((t) => t.guid)).size).toBe(1);
    const gaps = tries.slice(1).map((t, i) => t.at - tries[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(150);
    expect(inbox).toHaveLength(1);
    expect(last()).toMatchObject({ kind: 'order', order: { externalId: order.id } });
  });
});

const menu: MarketplaceMenu = {
  categories: [{ id: 'c1', name: 'Pizzas', productIds: ['p12', 'p13'] }, { id: 'c2', name: 'Desserts', productIds: ['p3'] }, { id: 'c3', name: 'Boissons', productIds: ['p40'] }],
  products: [
    { id: 'p12', name: 'Regina', description: 'Tomate, jambon, champignons', priceCents: 1450, photoUrl: 'https://img.example/regina.webp', allergens: ['gluten', 'milk'], alcohol: false, vatRate: 10, available: true, optionGroupIds: ['g1'] },
    { id: 'p13', name: 'Calzone', description: 'Pliée', priceCents: 1500, photoUrl: null, allergens: ['gluten'], alcohol: false, vatRate: 10, available: false, optionGroupIds: ['g1'] },
    { id: 'p3', name: 'Tiramisu', description: '', priceCents: 690, photoUrl: null, allergens: ['eggs', 'milk'], alcohol: false, vatRate: 10, available: true, optionGroupIds: [] },
    { id: 'p40', name: 'Peroni', description: 'Bière blonde 33 cl', priceCents: 450, photoUrl: null, allergens: ['gluten'], alcohol: true, vatRate: 20, available: true, optionGroupIds: [] },
  ],
  optionGroups: [{
    id: 'g1', name: 'Suppléments', min: 0, max: 3,
    options: [
      { id: 'o7', name: 'Extra mozzarella', priceCents: 150, allergens: ['milk'], vatRate: 10, available: true },
      { id: 'o8', name: 'Burrata', priceCents: 300, allergens: ['milk'], vatRate: 10, available: false },
      { id: 'o9', name: 'Pesto aux noix', priceCents: 200, allergens: ['nuts'], vatRate: 10, available: true },
    ],
  }],
  hours: [{ day: 1, opens: '11:30', closes: '14:30' }, { day: 1, opens: '18:30', closes: '23:00' }, { day: 7, opens: '18:30', closes: '22:30' }],
};

const site = () => fake.sites.get('site-bastille')!;
const pushedItem = (id: string) => fake.menus.get(site().menuId!)!.menu.items.find((i: any) => i.id === id);

describe('the menu, availability and the site', () => {
  it('the menu lands on the site in Deliveroo’s shape, our ids as item ids and prices in cents; sold-out items unavailable', async () => {
    await provider.pushMenu('site-bastille', menu);
    const pushed = fake.menus.get(site().menuId!)!;
    expect(pushed.site_ids).toEqual(['site-bastille']);
    expect(pushedItem('p12')).toMatchObject({ plu: 'p12', type: 'ITEM', price_info: { price: 1450 }, modifier_ids: ['g1'], allergies: ['gluten', 'milk'], image: { url: 'https://img.example/regina.webp' } });
    expect(pushedItem('o8')).toMatchObject({ type: 'CHOICE', price_info: { price: 300 } });
    expect(pushed.menu.modifiers).toEqual([expect.objectContaining({ id: 'g1', item_ids: ['o7', 'o8', 'o9'], min_selection: 0, max_selection: 3 })]);
    expect(pushed.menu.categories.map((c: any) => c.item_ids)).toEqual([['p12', 'p13'], ['p3'], ['p40']]);
    expect(pushed.menu.mealtimes[0].schedule).toEqual([
      { day_of_week: 0, time_periods: [{ start: '11:30', end: '14:30' }, { start: '18:30', end: '23:00' }] },
      { day_of_week: 6, time_periods: [{ start: '18:30', end: '22:30' }] },
    ]);
    expect([...site().unavailable].sort()).toEqual(['o8', 'p13']);
  });

  it('an extra’s allergen is on its choice (the nut pesto: nuts), and the beer asks for the customer’s age, the pizza not', () => {
    expect(pushedItem('o9')).toMatchObject({ type: 'CHOICE', allergies: ['nuts'] });
    expect(pushedItem('p40')).toMatchObject({ contains_alcohol: true });
    expect(pushedItem('p12')).toMatchObject({ contains_alcohol: false });
  });

  it('a menu naming an option group it does not hold is refused and changes nothing', async () => {
    const before = fake.menus.size;
    const broken = { ...menu, products: [{ ...menu.products[0], optionGroupIds: ['g-missing'] }] };
    await expect(provider.pushMenu('site-bastille', broken)).rejects.toMatchObject({ status: 400, permanent: true });
    expect(fake.menus.size).toBe(before);
    expect(pushedItem('p12').modifier_ids).toEqual(['g1']);
  });

  it('sold out then back: the item goes unavailable on the site and comes back, through the documented v2 path only', async () => {
    await provider.setAvailability('site-bastille', [{ id: 'p12', available: false }, { id: 'o7', available: false }]);
    expect(site().unavailable).toEqual(new Set(['p12', 'o7', 'o8', 'p13']));
    expect(fake.calls.at(-1)).toMatchObject({ method: 'POST', path: `/menu/v2/brands/${fake.brandId}/sites/site-bastille/menu/item_unavailabilities`, status: 200 });
    await provider.setAvailability('site-bastille', [{ id: 'p12', available: true }, { id: 'o7', available: true }]);
    expect(site().unavailable).toEqual(new Set(['o8', 'p13']));
    // v2's shape under v1's prefix is no endpoint of Deliveroo's
    const old = await fetch(`${fake.url}/menu/v1/brands/${fake.brandId}/sites/site-bastille/menu/item_unavailabilities`, {
      method: 'POST', headers: { authorization: `Bearer ${[...fake.tokens.keys()].at(-1)}`, 'content-type': 'application/json' }, body: JSON.stringify({ item_unavailabilities: [] }),
    });
    expect(old.status).toBe(404);
  });

  it('the morning reset brings a sold-out back; one told as lasting is hidden, which the reset leaves off the menu', async () => {
    await provider.setAvailability('site-bastille', [{ id: 'p12', available: false }, { id: 'p3', available: false, lasting: true }]);
    expect(site().unavailable.has('p12')).toBe(true);
    expect(site().hidden.has('p3')).toBe(true);
    fake.morningReset('site-bastille');
    expect(site().unavailable.has('p12')).toBe(false);
    expect(site().hidden.has('p3')).toBe(true);
    await provider.setAvailability('site-bastille', [{ id: 'p3', available: true }]);
    expect(site().hidden.has('p3')).toBe(false);
  });

  it('an item the site’s menu does not hold fails the whole update with a 404, and nothing changes', async () => {
    const err = await provider.setAvailability('site-bastille', [{ id: 'p12', available: false }, { id: 'p999', available: false }]).catch((e) => e);
    expect(err).toBeInstanceOf(DeliverooError);
    expect(err).toMatchObject({ status: 404 });
    expect(site().unavailable.has('p12')).toBe(false);
  });

  it('paused with +20 min (busy mode 20 minutes above quiet), then open and quiet again', async () => {
    await provider.setStoreStatus('site-bastille', { open: false, busyMinutes: 20 });
    expect(site()).toMatchObject({ status: 'closed', workload: 'BUSY' });
    expect(site().busyMinutes - site().quietMinutes).toBe(20);
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 7 }); // Deliveroo counts in 5 minutes: 10
    expect(site().busyMinutes - site().quietMinutes).toBe(10);
    await provider.setStoreStatus('site-bastille', { open: true, busyMinutes: 0 });
    expect(site()).toMatchObject({ status: 'open', workload: 'QUIET' });
  });

  it('an unknown site is refused for good', async () => {
    await expect(provider.setStoreStatus('site-nowhere', { open: true, busyMinutes: 0 })).rejects.toMatchObject({ status: 404, permanent: true });
  });
});

describe('the payout', () => {
  it('Deliveroo publishes no payout report through its API: the provider offers none', () => {
    expect((provider as MarketplaceProvider).report).toBeUndefined();
  });
});
