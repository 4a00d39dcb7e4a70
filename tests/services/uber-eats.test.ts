// The Uber Eats provider against a local Uber Eats (tests/uber-eats-server.ts): its token asked for
// once and kept, a refused token surfaced, webhooks believed only when signed with the client secret
// and read into notices, orders read into ours whoever carries them, every answer and kitchen step
// reaching Uber with the documented body, the menu, sold-out items, pause and busy time changing the
// store Uber shows, the weekly payout report read; and the fake itself playing Uber as documented:
// webhooks sent again with backoff until answered 200, an order nobody answers cancelled at the deadline.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import type { MarketplaceMenu, MarketplaceNotice } from '../../src/lib/server/marketplaces/provider.ts';
import { marketplacesFor } from '../../src/lib/server/marketplaces/registry.ts';
import { UBER_EATS_SCOPE, UberEats, UberEatsError } from '../../src/lib/server/marketplaces/uber-eats.ts';
import { cartItem, FakeUberEats, type FakeUberOrder } from '../uber-eats-server.ts';

const fake = new FakeUberEats();
let provider: UberEats;

/** Our webhook route as the core will have it: a body believed only when signed, then read; answers as told. */
const inbox: { raw: Buffer; headers: IncomingHttpHeaders; notices: MarketplaceNotice[] }[] = [];
const refused: Buffer[] = [];
let answers: number[] = [];
let route: Server;

async function until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const noticeOf = (kind: string, externalId: string) => inbox.flatMap((m) => m.notices).find((n) => n.kind === kind && 'externalId' in n && n.externalId === externalId);
const ref = (o: FakeUberOrder) => ({ storeId: 'store-paris-11', externalId: String(o.order.id) });
const rejection = async (p: Promise<unknown>) => (await p.then(() => null, (e: unknown) => e)) as UberEatsError;

beforeAll(async () => {
  await fake.start();
  // a store Uber integrated with the app during onboarding: the app is its order manager
  fake.provision('store-paris-11');
  route = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (!provider.verify(raw, req.headers)) {
        refused.push(raw);
        res.writeHead(401).end();
        return;
      }
      const status = answers.shift() ?? 200;
      if (status === 200) inbox.push({ raw, headers: req.headers, notices: provider.read(raw, req.headers) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => route.listen(0, '127.0.0.1', r));
  fake.webhooks.target = `http://127.0.0.1:${(route.address() as AddressInfo).port}/api/marketplaces/uber_eats/webhook`;
  fake.webhooks.firstDelayMs = 40;
  fake.webhooks.tries = 5;
});

afterAll(async () => {
  await fake.stop();
  await new Promise<void>((r) => route.close(() => r()));
});

beforeEach(async () => {
  await fake.webhooks.settle();
  const env = fake.env();
  provider = new UberEats({
    clientId: env.UBER_EATS_CLIENT_ID, clientSecret: env.UBER_EATS_CLIENT_SECRET, apiUrl: env.UBER_EATS_API_URL, authUrl: env.UBER_EATS_AUTH_URL,
    authorizeUrl: env.UBER_EATS_AUTHORIZE_URL, reportPollMs: 20,
  });
  answers = [];
  fake.acceptWindowMs = 11.5 * 60_000;
});

describe('the provider in the registry', () => {
  it('is listed as Uber Eats, configured only with both credentials', () => {
    const off = marketplacesFor(parseConfig({})).find((p) => p.id === 'uber_eats');
    expect(off).toMatchObject({ label: 'Uber Eats', configured: false });
    const on = marketplacesFor(parseConfig(fake.env())).find((p) => p.id === 'uber_eats');
    expect(on?.configured).toBe(true);
  });
});

describe('the token', () => {
  it("is asked for once per purpose, with only that purpose's scope, and reused for every call of it", async () => {
    const before = fake.scopeRequests.length;
    const o = fake.placeOrder('store-paris-11');
    await provider.fetchOrder(ref(o));
    await provider.accept(ref(o), new Date(Date.now() + 15 * 60_000));
    await provider.step(ref(o), 'ready');
    // the orders' calls: one token, of eats.order alone
    expect(fake.scopeRequests.slice(before)).toEqual([UBER_EATS_SCOPE.orders]);
    await provider.setStoreStatus('store-paris-11', { open: true, busyMinutes: 0 });
    expect(fake.scopeRequests.slice(before)).toEqual(['eats.order', 'eats.store.status.write', 'eats.store']);
    expect(provider.tokenRequests).toBe(3);
  });

  it('of a scope Uber did not grant (the reports) stops that purpose alone: orders are still fetched and accepted', async () => {
    fake.allowedScopes.delete('eats.report');
    try {
      const fresh = new UberEats({ clientId: fake.clientId, clientSecret: fake.clientSecret, apiUrl: fake.env().UBER_EATS_API_URL, authUrl: fake.env().UBER_EATS_AUTH_URL, reportPollMs: 20 });
      const e = await rejection(fresh.report('store-paris-11', '2026-11-16'));
      expect([e.status, e.permanent]).toEqual([400, true]);
      const o = fake.placeOrder('store-paris-11');
      expect((await fresh.fetchOrder(ref(o))).externalId).toBe(o.order.id);
      await fresh.accept(ref(o), new Date(Date.now() + 15 * 60_000));
      expect(o.order.current_state).toBe('ACCEPTED');
    } finally {
      fake.allowedScopes.add('eats.report');
    }
  });

  it('refused by Uber surfaces as a 401 worth retrying, and the next call gets a new token', async () => {
    const o = fake.placeOrder('store-paris-11');
    await provider.fetchOrder(ref(o));
    fake.revokeTokens();
    const e = await rejection(provider.fetchOrder(ref(o)));
    expect(e).toBeInstanceOf(UberEatsError);
    expect(e.status).toBe(401);
    expect(e.permanent).toBe(false);
    expect((await provider.fetchOrder(ref(o))).externalId).toBe(o.order.id);
    expect(provider.tokenRequests).toBe(2);
  });

  it('without the scope an endpoint needs is refused (403), and a scope Uber did not grant is refused at the token (permanent)', async () => {
    const env = fake.env();
    const tokenRes = await fetch(env.UBER_EATS_AUTH_URL, { method: 'POST', body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, grant_type: 'client_credentials', scope: 'eats.report' }) });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const o = fake.placeOrder('store-paris-11');
    expect((await fetch(`${env.UBER_EATS_API_URL}/v2/eats/order/${o.order.id}`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(403);
    fake.allowedScopes.delete('eats.store.orders.restaurantdelivery.status');
    try {
      const mine = fake.placeOrder('store-paris-11', { type: 'DELIVERY_BY_RESTAURANT' });
      await provider.accept(ref(mine), new Date(Date.now() + 600_000));
      const e = await rejection(provider.step(ref(mine), 'collected'));
      expect([e.status, e.permanent]).toEqual([400, true]);
    } finally {
      fake.allowedScopes.add('eats.store.orders.restaurantdelivery.status');
    }
  });
});

describe('a store activated by its merchant', () => {
  const back = 'https://ocpizza.example/manager/marketplaces/activate/uber_eats';
  /** Uber's consent page as a browser meets it: answered by the fake's merchant user, sent back with a code (or an error). */
  const consent = async (state: string) => {
    const res = await fetch(provider.activation.authorizeUrl(back, state), { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  };

  it("asks the merchant's consent for eats.pos_provisioning, lists their stores, and becomes the order manager: then Uber takes our accept", async () => {
    fake.merchants.set('merchant-user-1', [{ store_id: 'store-lyon-2', name: 'OC Pizza Lyon', location: { address: '2 rue Mercière', city: 'Lyon', postal_code: '69002' } }]);
    const before = fake.placeOrder('store-lyon-2');
    const refused = await rejection(provider.accept(ref(before), new Date(Date.now() + 600_000)));
    expect([refused.status, refused.permanent]).toEqual([403, true]);
    expect(before.order.current_state).toBe('CREATED');

    const url = new URL(provider.activation.authorizeUrl(back, 'state-1'));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ response_type: 'code', scope: 'eats.pos_provisioning', redirect_uri: back, state: 'state-1', client_id: fake.clientId });
    const returned = await consent('state-1');
    expect(returned.searchParams.get('state')).toBe('state-1');
    const { accessToken, stores } = await provider.activation.authorized(returned.searchParams.get('code')!, back);
    expect(stores).toEqual([{ id: 'store-lyon-2', name: 'OC Pizza Lyon', address: '2 rue Mercière 69002 Lyon' }]);
    expect(fake.calls.filter((c) => c.path === '/oauth/v2/token').at(-1)?.body).toMatchObject({ grant_type: 'authorization_code', redirect_uri: back });

    await expect(provider.activation.activate(accessToken, 'store-lyon-2', 'lyon')).resolves.toEqual({ enabled: true, orderManager: true });
    expect(fake.integrations.get('store-lyon-2')).toMatchObject({ is_order_manager: true, integrator_store_id: 'lyon' });
    await expect(provider.activation.integration('store-lyon-2')).resolves.toEqual({ enabled: true, orderManager: true });
    const after = fake.placeOrder('store-lyon-2');
    await provider.accept(ref(after), new Date(Date.now() + 600_000));
    expect(after.order.current_state).toBe('ACCEPTED');
  });

  it("refuses a code used twice, a store the merchant's user does not hold, and a consent the user declined", async () => {
    fake.merchants.set('merchant-user-1', [{ store_id: 'store-lyon-3', name: 'OC Pizza Lyon 3', location: {} }]);
    const code = (await consent('s')).searchParams.get('code')!;
    const { accessToken } = await provider.activation.authorized(code, back);
    expect((await rejection(provider.activation.authorized(code, back))).status).toBe(400);
    expect((await rejection(provider.activation.activate(accessToken, 'store-paris-99', 'x'))).status).toBe(403);
    fake.consent = { user: 'merchant-user-1', allow: false };
    try {
      expect((await consent('s2')).searchParams.get('error')).toBe('access_denied');
    } finally {
      fake.consent = { user: 'merchant-user-1', allow: true };
    }
  });

  it("reads Uber's store.provisioned and store.deprovisioned, and a scheduled order, as notices", () => {
    const n = (type: string, meta: Record<string, unknown>) => provider.read(Buffer.from(JSON.stringify(fake.webhooks.event(type, meta))));
    expect(n('store.provisioned', { user_id: 'store-lyon-2', resource_id: 'store-lyon-2' })).toMatchObject([{ kind: 'store', storeId: 'store-lyon-2', provisioned: true }]);
    expect(n('store.deprovisioned', { user_id: 'store-lyon-2' })).toMatchObject([{ kind: 'store', storeId: 'store-lyon-2', provisioned: false }]);
    expect(n('orders.scheduled.notification', { user_id: 'store-paris-11', resource_id: 'o-1' })).toMatchObject([{ kind: 'order_named', storeId: 'store-paris-11', externalId: 'o-1' }]);
  });
});

describe('a webhook', () => {
  const body = Buffer.from(JSON.stringify({ event_id: 'e-1', event_type: 'orders.notification', event_time: 1, meta: { resource_id: 'o-1', user_id: 's-1', status: 'pos' } }));
  const signed = fake.webhooks.sign(body.toString());

  it('is believed only with the HMAC of its exact body by the client secret', () => {
    expect(provider.verify(body, { 'x-uber-signature': signed })).toBe(true);
    expect(provider.verify(Buffer.from(body.toString().replace('o-1', 'o-2')), { 'x-uber-signature': signed })).toBe(false);
    expect(provider.verify(body, { 'x-uber-signature': fake.webhooks.sign(body.toString(), 'another-secret-of-some-length') })).toBe(false);
    expect(provider.verify(body, {})).toBe(false);
    expect(provider.verify(body, { 'x-uber-signature': signed.slice(0, 40) })).toBe(false);
    expect(provider.verify(body, { 'x-uber-signature': `${signed}00` })).toBe(false);
    expect(provider.verify(body, { 'x-uber-signature': 'not-a-signature' })).toBe(false);
  });

  it('is read into what it says: an order to fetch, a cancellation, the courier, or something else', () => {
    const read = (event: object) => provider.read(Buffer.from(JSON.stringify({ event_id: 'e', event_time: 1, ...event })), {});
    expect(read({ event_type: 'orders.notification', meta: { resource_id: 'o-1', user_id: 's-1' } })).toEqual([{ kind: 'order_named', eventId: 'e', storeId: 's-1', externalId: 'o-1' }]);
    expect(read({ event_type: 'orders.cancel', meta: { resource_id: 'o-1', user_id: 's-1', status: 'CANCELED', reason: 'EATER_CANCELLED' } })).toEqual([{ kind: 'cancelled', eventId: 'e', storeId: 's-1', externalId: 'o-1', reason: 'EATER_CANCELLED' }]);
    expect(read({ event_type: 'delivery.state_changed', meta: { resource_id: 'o-1', user_id: 's-1', status: 'ARRIVED_AT_PICKUP', estimated_pickup_time: '2026-11-27T18:04:00Z' } }))
      .toEqual([{ kind: 'courier', eventId: 'e', storeId: 's-1', externalId: 'o-1', state: 'arrived', etaAt: '2026-11-27T18:04:00.000Z' }]);
    expect(read({ event_type: 'orders.release', meta: { resource_id: 'o-1', user_id: 's-1' } })[0]).toMatchObject({ kind: 'courier', state: 'arriving' });
    expect(read({ event_type: 'store.provisioned', meta: { user_id: 's-1' } })).toEqual([{ kind: 'store', eventId: 'e', storeId: 's-1', provisioned: true }]);
    expect(read({ event_type: 'eats.store.status.notification', meta: { user_id: 's-1' } })).toEqual([{ kind: 'other', eventId: 'e', storeId: 's-1', type: 'eats.store.status.notification' }]);
  });

  it('that is not Uber JSON is refused with a clear error', () => {
    expect(() => provider.read(Buffer.from('<xml/>'), {})).toThrow(/not JSON/);
    expect(() => provider.read(Buffer.from('{"event_type":"orders.notification"}'), {})).toThrow(/event_id/);
    expect(() => provider.read(Buffer.from('{"event_id":"e","event_type":"orders.notification","meta":{}}'), {})).toThrow(/resource_id/);
  });
});

describe('an order read into ours', () => {
  it("carried by Uber's courier: lines with options and notes, the code, the promise, the courier's ETA, no phone", async () => {
    const o = fake.placeOrder('store-paris-11', {
      cart: { special_instructions: 'Sonnez deux fois', items: [{ ...cartItem('p7', 'Regina', 2, 1250, [{ id: 'o3', title: 'Extra mozzarella', cents: 150 }]), special_instructions: 'bien cuite' }, cartItem('p9', 'Tiramisu', 1, 650)] },
    });
    fake.courier(o.order.id, 'EN_ROUTE_TO_PICKUP', 240);
    const mine = await provider.fetchOrder(ref(o));
    expect(mine).toMatchObject({ externalId: o.order.id, code: o.order.display_id, storeId: 'store-paris-11', fulfilment: 'courier', address: null, totalCents: 2 * 1400 + 650 });
    expect(mine.customer).toEqual({ name: 'Camille', phone: null, note: 'Sonnez deux fois' });
    expect(mine.lines).toEqual([
      { externalId: 'p7', name: 'Regina', quantity: 2, unitPriceCents: 1400, options: [{ externalId: 'o3', name: 'Extra mozzarella', quantity: 1, priceCents: 150 }], note: 'bien cuite' },
      { externalId: 'p9', name: 'Tiramisu', quantity: 1, unitPriceCents: 650, options: [], note: null },
    ]);
    expect(Date.parse(mine.acceptBy!) - Date.parse(mine.placedAt)).toBe(11.5 * 60_000);
    expect(Math.abs(Date.parse(mine.courierEta!) - Date.now() - 240_000)).toBeLessThan(5_000);
    expect(mine.promisedAt).toBe(new Date(o.order.estimated_ready_for_pickup_at).toISOString());
  });

  it('delivered by the shop: the address and the phone', async () => {
    const o = fake.placeOrder('store-paris-11', {
      type: 'DELIVERY_BY_RESTAURANT',
      eater: { first_name: 'Lucas', phone: '+33 1 86 76 00 00', phone_code: '123 45 678', delivery: { location: { street_address: '12 rue Oberkampf, 75011 Paris, France', unit_number: '3e gauche', latitude: 48.864, longitude: 2.372 }, notes: 'Code 4521B' } },
    });
    const mine = await provider.fetchOrder(ref(o));
    expect(mine.fulfilment).toBe('shop_delivery');
    expect(mine.customer.phone).toBe('+33 1 86 76 00 00 123 45 678');
    expect(mine.address).toEqual({ street: '12 rue Oberkampf, 3e gauche', city: 'Paris', postcode: '75011', lat: 48.864, lng: 2.372, instructions: 'Code 4521B' });
    expect(mine.courierEta).toBeNull();
  });

  it('collected by the eater: neither address nor phone', async () => {
    const mine = await provider.fetchOrder(ref(fake.placeOrder('store-paris-11', { type: 'PICK_UP' })));
    expect([mine.fulfilment, mine.address, mine.customer.phone]).toEqual(['customer_pickup', null, null]);
  });
});

describe('answers and kitchen steps', () => {
  it('accept tells Uber when it will be ready; a second accept is refused as Uber does (4xx, not worth retrying)', async () => {
    const o = fake.placeOrder('store-paris-11');
    const readyAt = new Date(Date.now() + 18 * 60_000);
    await provider.accept(ref(o), readyAt);
    expect(o.order.current_state).toBe('ACCEPTED');
    expect(o.accepted).toEqual({ reason: 'Accepted by the shop', pickup_time: Math.round(readyAt.getTime() / 1000) });
    const again = await rejection(provider.accept(ref(o), readyAt));
    expect([again.status, again.permanent]).toEqual([409, true]);
  });

  it('deny sends the reason code and the explanation; a cancelled order cannot be denied', async () => {
    const o = fake.placeOrder('store-paris-11');
    await provider.deny(ref(o), 'store_busy', 'Four plein, 45 min d’attente');
    expect(o.denied).toEqual({ reason: { code: 'CAPACITY', explanation: 'Four plein, 45 min d’attente' } });
    const gone = fake.placeOrder('store-paris-11');
    fake.cancelOrder(gone.order.id);
    expect((await rejection(provider.deny(ref(gone), 'item_unavailable', 'plus de burrata'))).status).toBe(409);
  });

  it("preparing, ready and the courier handover have no call in the order API's generation (Uber's courier comes for the accept's pickup_time); a shop delivery tells the eater started then delivered", async () => {
    const o = fake.placeOrder('store-paris-11');
    await provider.accept(ref(o), new Date(Date.now() + 600_000));
    const before = fake.calls.length;
    await provider.step(ref(o), 'preparing');
    await provider.step(ref(o), 'ready');
    expect(fake.calls.length).toBe(before);
    await provider.step(ref(o), 'collected');
    expect(o.deliveryStatuses).toEqual([]);
    // every order call went to the one generation: /v2/eats/order to read, /v1/eats/orders to answer
    expect(fake.calls.filter((c) => /\/order/.test(c.path)).every((c) => /^\/(v2\/eats\/order|v1\/eats\/orders)\//.test(c.path))).toBe(true);
    const mine = fake.placeOrder('store-paris-11', { type: 'DELIVERY_BY_RESTAURANT' });
    await provider.accept(ref(mine), new Date(Date.now() + 600_000));
    await provider.step(ref(mine), 'collected');
    await provider.step(ref(mine), 'delivered');
    expect(mine.deliveryStatuses).toEqual(['started', 'delivered']);
  });

  it('cancel by the shop reaches Uber with its reason, and Uber sends no orders.cancel back for it', async () => {
    const o = fake.placeOrder('store-paris-11');
    await provider.accept(ref(o), new Date(Date.now() + 600_000));
    await provider.cancel(ref(o), 'Four en panne');
    expect([o.order.current_state, o.cancelled]).toEqual(['CANCELED', { by: 'shop', reason: 'OTHER: Four en panne' }]);
    expect(fake.callsTo('POST', /\/cancel$/).at(-1)?.body).toEqual({ reason: 'OTHER', details: 'Four en panne' });
    expect(fake.webhooks.sent('orders.cancel').some((e) => e.meta.resource_id === o.order.id)).toBe(false);
  });
});

describe("the store Uber shows", () => {
  const menu: MarketplaceMenu = {
    categories: [{ id: 'c1', name: 'Pizzas', productIds: ['p1', 'p2'] }],
    products: [
      { id: 'p1', name: 'Margherita', description: 'Tomate, mozzarella', priceCents: 1190, photoUrl: 'https://cdn.example/p1.jpg', allergens: ['gluten', 'milk'], alcohol: false, vatRate: 10, available: true, optionGroupIds: ['g1'] },
      { id: 'p2', name: 'Calzone', description: 'Jambon, œuf', priceCents: 1390, photoUrl: null, allergens: ['gluten', 'eggs'], alcohol: false, vatRate: 10, available: true, optionGroupIds: [] },
    ],
    optionGroups: [{
      id: 'g1', name: 'Suppléments', min: 0, max: 3,
      options: [
        { id: 'o1', name: 'Burrata', priceCents: 300, allergens: ['milk'], vatRate: 10, available: false },
        { id: 'o2', name: 'Pesto aux noix', priceCents: 100, allergens: ['nuts'], vatRate: 10, available: true },
      ],
    }],
    hours: [{ day: 1, opens: '11:30', closes: '14:30' }, { day: 1, opens: '18:30', closes: '22:30' }, { day: 5, opens: '18:00', closes: '23:00' }],
  };

  it('gets our menu: items with our ids and prices in cents, options as a modifier group, allergens, hours, and what is sold out suspended', async () => {
    await provider.pushMenu('store-paris-11', menu);
    const uploaded = fake.store('store-paris-11').menu!;
    expect(uploaded.items.map((i: any) => [i.id, i.price_info.price])).toEqual([['p1', 1190], ['p2', 1390], ['o1', 300], ['o2', 100]]);
    expect(uploaded.items[0]).toMatchObject({ image_url: 'https://cdn.example/p1.jpg', modifier_group_ids: { ids: ['g1'] }, nutritional_info: { allergens: ['gluten', 'milk'] } });
    expect(uploaded.modifier_groups[0]).toMatchObject({ id: 'g1', quantity_info: { quantity: { min_permitted: 0, max_permitted: 3 } }, modifier_options: [{ id: 'o1', type: 'ITEM' }, { id: 'o2', type: 'ITEM' }] });
    expect(uploaded.categories[0].entities).toEqual([{ id: 'p1', type: 'ITEM' }, { id: 'p2', type: 'ITEM' }]);
    expect(uploaded.menus[0].service_availability).toEqual([
      { day_of_week: 'monday', time_periods: [{ start_time: '11:30', end_time: '14:30' }, { start_time: '18:30', end_time: '22:30' }] },
      { day_of_week: 'friday', time_periods: [{ start_time: '18:00', end_time: '23:00' }] },
    ]);
    expect(fake.suspendedItems('store-paris-11')).toEqual(['o1']);
  });

  it('an extra’s allergen (the nut pesto: nuts) and every item’s VAT rate reach the store', async () => {
    await provider.pushMenu('store-paris-11', menu);
    const item = (id: string) => fake.store('store-paris-11').menu!.items.find((i: any) => i.id === id);
    expect(item('o2')).toMatchObject({ nutritional_info: { allergens: ['nuts'] }, tax_info: { tax_rate: 10 } });
    expect(item('p1')).toMatchObject({ tax_info: { tax_rate: 10 } });
  });

  it('suspends what sells out and restores what comes back', async () => {
    await provider.pushMenu('store-paris-11', menu);
    await provider.setAvailability('store-paris-11', [{ id: 'p1', available: false }, { id: 'o1', available: true }]);
    expect(fake.suspendedItems('store-paris-11')).toEqual(['p1']);
    expect(fake.callsTo('POST', /\/menus\/items\/p1$/).at(-1)?.body?.suspension_info.suspension.suspend_until).toBeGreaterThan(Date.now() / 1000 + 86_400);
    await provider.setAvailability('store-paris-11', [{ id: 'p1', available: true }]);
    expect(fake.suspendedItems('store-paris-11')).toEqual([]);
  });

  it('is paused and busier, then online again', async () => {
    await provider.setStoreStatus('store-paris-11', { open: false, busyMinutes: 20 });
    expect(fake.store('store-paris-11')).toMatchObject({ status: 'PAUSED', delaySeconds: 1200 });
    await provider.setStoreStatus('store-paris-11', { open: true, busyMinutes: 0 });
    expect(fake.store('store-paris-11')).toMatchObject({ status: 'ONLINE', delaySeconds: 0 });
  });

  it("reports the week's payout: each order's sales, fee, refund and payout, and the adjustments", async () => {
    fake.report('store-paris-11', '2026-11-16', [
      { orderId: 'ue-1', salesCents: 2450, feeCents: 735, refundCents: 0, payoutCents: 1715 },
      { orderId: 'ue-2', salesCents: 1800, feeCents: 540, refundCents: 600, payoutCents: 660 },
      { orderId: null, description: 'Ajustement, tablette', salesCents: 0, feeCents: 0, refundCents: 0, payoutCents: -1500 },
    ]);
    const report = await provider.report('store-paris-11', '2026-11-16');
    expect(report).toEqual({
      storeId: 'store-paris-11', weekStart: '2026-11-16', adjustmentsCents: -1500, payoutCents: 1715 + 660 - 1500,
      orders: [
        { externalId: 'ue-1', totalCents: 2450, commissionCents: 735, refundCents: 0, payoutCents: 1715 },
        { externalId: 'ue-2', totalCents: 1800, commissionCents: 540, refundCents: 600, payoutCents: 660 },
      ],
    });
    expect(fake.callsTo('POST', /^\/v1\/eats\/report$/).at(-1)?.body).toEqual({ report_type: 'PAYMENT_DETAILS_REPORT', store_uuids: ['store-paris-11'], start_date: '2026-11-16', end_date: '2026-11-22' });
  });
});

describe('Uber as the fake plays it', () => {
  it('sends a new order signed, again with growing waits until answered 200', async () => {
    answers = [500, 503];
    const o = fake.placeOrder('store-paris-11');
    const delivery = fake.webhooks.deliveries.at(-1)!;
    await delivery.done;
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    const [first, second, third] = delivery.attempts.map((a) => a.at);
    expect(second - first).toBeGreaterThanOrEqual(38);
    expect(third - second).toBeGreaterThanOrEqual(78);
    expect(noticeOf('order_named', o.order.id)).toEqual({ kind: 'order_named', eventId: delivery.event.event_id, storeId: 'store-paris-11', externalId: o.order.id });
  });

  it('gives up after its tries when never answered 200', async () => {
    answers = [500, 500, 500, 500, 500];
    fake.placeOrder('store-paris-11');
    const delivery = fake.webhooks.deliveries.at(-1)!;
    await delivery.done;
    expect([delivery.attempts.length, delivery.delivered]).toEqual([5, false]);
  });

  it('cancels an order nobody answered by the deadline, and says so with orders.cancel', async () => {
    fake.acceptWindowMs = 150;
    const o = fake.placeOrder('store-paris-11');
    const cancelled = await until(() => noticeOf('cancelled', o.order.id), 'the orders.cancel webhook');
    expect(cancelled).toMatchObject({ storeId: 'store-paris-11', reason: 'TIMEOUT' });
    expect(o.order.current_state).toBe('CANCELED');
    expect((await rejection(provider.accept(ref(o), new Date()))).status).toBe(409);
  });

  it('tells the courier coming and a cancellation by the eater', async () => {
    const o = fake.placeOrder('store-paris-11');
    await provider.accept(ref(o), new Date(Date.now() + 600_000));
    fake.fastRelease(o.order.id);
    fake.courier(o.order.id, 'ARRIVED_AT_PICKUP', 0);
    fake.cancelOrder(o.order.id);
    await fake.webhooks.settle();
    // Uber does not promise its webhooks arrive in order
    const mine = inbox.flatMap((m) => m.notices).filter((n) => 'externalId' in n && n.externalId === o.order.id).map((n) => (n.kind === 'courier' ? `courier:${n.state}` : n.kind));
    expect(mine.sort()).toEqual(['cancelled', 'courier:arrived', 'courier:arriving', 'order_named']);
  });

  it('replays the last webhook with the same event id; a forged one fails the signature', async () => {
    fake.placeOrder('store-paris-11');
    await fake.webhooks.settle();
    const last = fake.webhooks.deliveries.at(-1)!;
    const refusedBefore = refused.length;
    expect(await fake.webhooks.resendLast()).toBe(200);
    expect(inbox.at(-1)!.notices[0].eventId).toBe(last.event.event_id);
    expect(inbox.filter((m) => m.notices[0].eventId === last.event.event_id)).toHaveLength(2);
    const forged = last.body.replace('store-paris-11', 'store-paris-12');
    expect(await fake.webhooks.sendRaw(forged, fake.webhooks.sign(last.body))).toBe(401);
    expect(await fake.webhooks.sendRaw(last.body, null)).toBe(401);
    expect(refused.slice(refusedBefore).map((b) => b.toString())).toEqual([forged, last.body]);
  });
});
