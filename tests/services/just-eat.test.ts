// The Just Eat provider against the fake JET Connect (tests/just-eat-server.ts): its reading and
// answering of each authenticated webhook, and every call it makes landing on the fake's restaurants
// and orders. No database: the provider is the edge; the road test (tests/road/marketplace-just-eat.test.ts)
// takes its orders through our make line.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { JustEat, JustEatError, justEatFor, justEatSignature } from '../../src/lib/server/marketplaces/just-eat.ts';
import { marketplaceById, marketplacesFor } from '../../src/lib/server/marketplaces/registry.ts';
import type { MarketplaceMenu, MarketplaceNotice } from '../../src/lib/server/marketplaces/provider.ts';
import { FakeJustEat } from '../just-eat-server.ts';

const fake = new FakeJustEat();
let provider: JustEat;
const R = 'oc-bastille';

/** Our webhook endpoint, as the route is: authenticate, read, answer as the provider says. */
const inbox: { raw: Buffer; headers: IncomingHttpHeaders; notices: MarketplaceNotice[] }[] = [];
let answers: number[] = [];
let receiver: Server;

beforeAll(async () => {
  await fake.start();
  fake.addRestaurant(R);
  fake.retryDelaysMs = [20, 40, 80, 160, 320];
  provider = new JustEat({
    apiKey: fake.apiKey, webhookKey: fake.webhookKey, webhookSecret: fake.webhookSecret,
    apiUrl: fake.url, orderStatusUrl: fake.url, callbackUrl: 'http://127.0.0.1:1/api/marketplaces/just_eat/webhook',
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const forced = answers.shift();
      if (forced) return void res.writeHead(forced).end();
      if (!provider.verify(raw, req.headers)) return void res.writeHead(401).end();
      const notices = provider.read(raw, req.headers);
      inbox.push({ raw, headers: req.headers, notices });
      const answer = provider.answer(raw, notices);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  fake.target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/marketplaces/just_eat/webhook`;
});

afterAll(async () => {
  await fake.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

beforeEach(async () => {
  await fake.settle();
  inbox.length = 0;
  answers = [];
  fake.pendingMs = 3 * 60_000;
});

const ref = (externalId: string) => ({ storeId: R, externalId });
const last = () => inbox.at(-1)!.notices[0];

async function placed(spec: Parameters<FakeJustEat['placeOrder']>[1] = {}) {
  const order = fake.placeOrder(R, spec);
  await fake.settle();
  return order;
}

describe('the chain connects Just Eat with its settings', () => {
  it('is listed among the platforms, and takes orders only once its key, webhook key and HMAC secret are set', () => {
    const none = marketplaceById(marketplacesFor(parseConfig({})), 'just_eat');
    expect(none?.label).toBe('Just Eat');
    expect(none?.configured).toBe(false);
    const set = justEatFor(parseConfig({ JUST_EAT_API_KEY: fake.apiKey, JUST_EAT_WEBHOOK_KEY: fake.webhookKey, JUST_EAT_WEBHOOK_SECRET: fake.webhookSecret }));
    expect(set.configured).toBe(true);
    expect(() => parseConfig({ JUST_EAT_API_KEY: fake.apiKey })).toThrow(/JUST_EAT_WEBHOOK_KEY/);
  });
});

describe('a webhook is believed only with the key given to Just Eat, and an order only with its HMAC', () => {
  const raw = JSON.stringify({ id: 'o-1', posLocationId: R, type: 'collection-by-customer', items: [{ name: 'Margherita', plu: 'p1', price: 1050 }] });

  it('the reference’s own example: secret `key`, body `example`', () => {
    expect(justEatSignature('key', 'example', 1673428038618)).toBe('HMAC-SHA256 t=1673428038618,signature=FGwot7AqiDIthEv6TippJm35DaRpRac5NSLd/wSp9go=');
  });

  it('an order with both is believed; not with its body, secret or key changed, nor without its hash', () => {
    const headers = fake.signed(raw);
    expect(provider.verify(Buffer.from(raw), headers)).toBe(true);
    expect(provider.verify(Buffer.from(raw.replace('1050', '1')), headers)).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-jet-connect-hash': fake.hash(raw, 'another-hmac-secret-000') })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, authorization: 'another-webhook-key-0000' })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, authorization: undefined })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-jet-connect-hash': undefined })).toBe(false);
    expect(provider.verify(Buffer.from(raw), { ...headers, 'x-jet-connect-hash': 'HMAC-SHA256 signature=abc' })).toBe(false);
  });

  it('a cancellation comes with the key alone (JET documents no HMAC on it)', () => {
    const cancel = JSON.stringify({ orderID: 'o-1', reason: { code: 'custCancelledOther' }, happenedAt: '2022-08-15T10:12:56.371917Z' });
    expect(provider.verify(Buffer.from(cancel), fake.signed(cancel, false))).toBe(true);
    expect(provider.verify(Buffer.from(cancel), { authorization: 'wrong-key-wrong-key-0' })).toBe(false);
  });

  it('a forged order reaches no notice, and JET hears 401', async () => {
    expect(await fake.sendRaw(raw, { authorization: fake.webhookKey, 'x-jet-connect-hash': fake.hash(raw, 'forger-secret-00000000') })).toBe(401);
    expect(inbox).toHaveLength(0);
    expect(() => provider.read(Buffer.from('{"id":'))).toThrow(/cannot read/);
    expect(() => provider.read(Buffer.from(JSON.stringify({ id: 'o-2', posLocationId: R, type: 'collection-by-customer', items: [] })))).toThrow(/without items/);
  });
});

describe('an order sent by JET Connect, read into our shape', () => {
  it('delivered by a Just Eat courier: each item a line with its options, prices in cents, no phone nor address', async () => {
    const order = await placed({
      kitchenNotes: 'Allergie aux noix',
      items: [
        { plu: 'p12', name: 'Regina', price: 1250, notes: 'bien cuite', children: [{ plu: 'o7', name: 'Extra mozzarella', price: 150 }, { plu: 'o9', name: 'Piment', price: 0 }] },
        { plu: 'p12', name: 'Regina', price: 1250 },
        { plu: 'p3', name: 'Tiramisu', price: 600 },
      ],
    });
    const notice = last();
    expect(notice).toMatchObject({ kind: 'order', eventId: `order:${order.body.id}`, storeId: R });
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order).toMatchObject({
      externalId: order.body.id, code: order.body.third_party_order_reference, fulfilment: 'courier', address: null,
      customer: { name: '', phone: null, note: 'Allergie aux noix' }, totalCents: 1400 + 1250 + 600, courierEta: null,
      promisedAt: new Date(Number(order.body.collect_at) * 1000).toISOString(),
    });
    expect(notice.order.lines).toEqual([
      { externalId: 'p12', name: 'Regina', quantity: 1, unitPriceCents: 1400, note: 'bien cuite', options: [{ externalId: 'o7', name: 'Extra mozzarella', quantity: 1, priceCents: 150 }, { externalId: 'o9', name: 'Piment', quantity: 1, priceCents: 0 }] },
      { externalId: 'p12', name: 'Regina', quantity: 1, unitPriceCents: 1250, note: null, options: [] },
      { externalId: 'p3', name: 'Tiramisu', quantity: 1, unitPriceCents: 600, note: null, options: [] },
    ]);
    // JET Connect fails a pending order after 3 minutes: that is the deadline to take it
    expect(Date.parse(notice.order.acceptBy!) - Date.now()).toBeGreaterThan(170_000);
  });

  it('answered 202 with its id, so JET Connect waits for our word; the order is pending there', async () => {
    const order = await placed();
    const sent = fake.webhooks.at(-1)!;
    expect(sent.status).toBe(202);
    expect(JSON.parse(sent.answer)).toEqual({ OrderId: order.body.id });
    expect(order.status).toBe('pending');
  });

  it('delivered by the shop: the customer’s number, phone code and address come with it', async () => {
    await placed({ type: 'delivery-by-merchant', firstName: 'Léa' });
    const notice = last();
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order.fulfilment).toBe('shop_delivery');
    expect(notice.order.customer).toMatchObject({ name: 'Léa', phone: '+33 1 70 00 00 00' });
    expect(notice.order.address).toEqual({ street: '12 rue de la Roquette', city: 'Paris', postcode: '75011', lat: 48.8553, lng: 2.3749, instructions: 'Bât. B — Interphone 12 — phone code 482193' });
  });

  it('collected by the customer: a pickup, no phone nor address, the collection note kept', async () => {
    await placed({ type: 'collection-by-customer' });
    const notice = last();
    if (notice.kind !== 'order') throw new Error('not an order');
    expect(notice.order).toMatchObject({ fulfilment: 'customer_pickup', address: null, customer: { name: 'Camille', phone: null, note: 'Je passe à pied' } });
  });

  it('the same order posted again has the same event id, the one it is kept once by', async () => {
    const order = await placed();
    await fake.resendOrder(order.body.id);
    expect(inbox).toHaveLength(2);
    expect(inbox[1].notices[0].eventId).toBe(inbox[0].notices[0].eventId);
  });
});

describe('what the shop decides reaches JET Connect', () => {
  it('taking it: sent-to-pos-success, the order injected; said again, JET refuses for good (no longer pending)', async () => {
    const order = await placed();
    await provider.accept(ref(order.body.id), new Date());
    expect(order.status).toBe('injected');
    const call = fake.calls.findLast((c) => c.path === `/order/${order.body.id}/sent-to-pos-success`)!;
    expect(call).toMatchObject({ method: 'POST', status: 204, headers: { 'x-flyt-api-key': fake.apiKey } });
    expect(Date.parse(call.body.happenedAt)).toBeGreaterThan(Date.now() - 5_000);
    await expect(provider.accept(ref(order.body.id), new Date())).rejects.toMatchObject({ status: 400, permanent: true });
  });

  it('not taking it: sent-to-pos-failed with JET’s code and our words; JET sends it to the tablet', async () => {
    const reasons = [['store_closed', 'STORE_CLOSED'], ['item_unavailable', 'MENU_ERROR'], ['store_busy', 'UNKNOWN'], ['other', 'UNKNOWN']] as const;
    for (const [ours, theirs] of reasons) {
      const order = await placed();
      await provider.deny(ref(order.body.id), ours, 'Plus de pâte à pizza');
      expect(order).toMatchObject({ status: 'backup_flow', failure: { errorCode: theirs, errorMessage: 'Plus de pâte à pizza' } });
    }
  });

  it('an order we stay silent on fails to inject at JET’s deadline, and a late word is refused', async () => {
    fake.pendingMs = 100;
    const order = await placed();
    await vi.waitFor(() => expect(order.status).toBe('failed_to_inject'), { timeout: 5_000, interval: 20 });
    await expect(provider.accept(ref(order.body.id), new Date())).rejects.toBeInstanceOf(JustEatError);
  });

  it('JET Connect has no call for a kitchen step nor a cancel by the shop: nothing is sent, and a cancel says to use the tablet', async () => {
    const order = await placed();
    await provider.accept(ref(order.body.id), new Date());
    const before = fake.calls.length;
    for (const step of ['preparing', 'ready', 'collected', 'delivered'] as const) await provider.step(ref(order.body.id), step);
    expect(fake.calls.length).toBe(before);
    await expect(provider.cancel(ref(order.body.id), 'Four en panne')).rejects.toMatchObject({ permanent: true, message: expect.stringMatching(/tablet/) });
    await expect(provider.fetchOrder(ref(order.body.id))).rejects.toMatchObject({ permanent: true });
    await expect(provider.report(R, '2026-11-16')).rejects.toMatchObject({ permanent: true });
    expect(fake.calls.length).toBe(before);
  });

  it('a call with another key is refused for good', async () => {
    const stranger = new JustEat({ apiKey: 'not-the-brand-key', webhookKey: 'x'.repeat(16), webhookSecret: 'y'.repeat(16), apiUrl: fake.url, orderStatusUrl: fake.url, callbackUrl: 'http://127.0.0.1:1/' });
    await expect(stranger.setAvailability(R, [{ id: 'p1', available: false }])).rejects.toMatchObject({ status: 401, permanent: true });
    expect(fake.restaurants.get(R)!.unavailable.has('p1')).toBe(false);
  });
});

describe('Just Eat’s own notices', () => {
  it('a cancellation by JET reaches us as cancelled, answered 200 with its own body', async () => {
    const order = await placed();
    fake.cancelOrder(order.body.id, 'custCancelledMadeMistake');
    await fake.settle();
    expect(last()).toEqual({ kind: 'cancelled', eventId: `cancelled:${order.body.id}`, storeId: '', externalId: order.body.id, reason: 'custCancelledMadeMistake' });
    const sent = fake.webhooks.at(-1)!;
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.answer)).toEqual(JSON.parse(sent.raw));
  });

  it('a cancellation we fail to take is posted again, the same event each time', async () => {
    const order = await placed();
    answers = [500, 500];
    fake.cancelOrder(order.body.id);
    await fake.settle();
    const tries = fake.webhooks.filter((w) => w.kind === 'cancel' && JSON.parse(w.raw).orderID === order.body.id);
    expect(tries.map((t) => t.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((t) => t.raw)).size).toBe(1);
  });

  it('the driver at the restaurant is the courier arrived; another code is nothing to show', async () => {
    const order = await placed();
    fake.driverStatus(order.body.id, 'driverAtRestaurant');
    await fake.settle();
    expect(last()).toMatchObject({ kind: 'courier', externalId: order.body.id, state: 'arrived', etaAt: null });
    fake.driverStatus(order.body.id, 'driverOnItsWay');
    await fake.settle();
    expect(last()).toMatchObject({ kind: 'other', type: 'driver:driverOnItsWay' });
  });
});

const menu: MarketplaceMenu = {
  categories: [{ id: 'c1', name: 'Pizzas', productIds: ['p12', 'p13'] }, { id: 'c2', name: 'Desserts', productIds: ['p3'] }],
  products: [
    { id: 'p12', name: 'Regina', description: 'Tomate, jambon, champignons', priceCents: 1450, photoUrl: 'https://img.example/regina.webp', allergens: ['gluten', 'milk'], alcohol: false, vatRate: 10, available: true, optionGroupIds: ['g1'] },
    { id: 'p13', name: 'Calzone', description: 'Pliée', priceCents: 1500, photoUrl: null, allergens: ['gluten'], alcohol: false, vatRate: 10, available: false, optionGroupIds: ['g1'] },
    { id: 'p3', name: 'Tiramisu', description: '', priceCents: 690, photoUrl: null, allergens: ['eggs', 'milk', 'nuts'], alcohol: false, vatRate: 10, available: true, optionGroupIds: [] },
  ],
  optionGroups: [{ id: 'g1', name: 'Suppléments', min: 0, max: 3, options: [{ id: 'o7', name: 'Extra mozzarella', priceCents: 150, allergens: ['milk'], vatRate: 10, available: true }, { id: 'o8', name: 'Burrata', priceCents: 300, allergens: ['milk'], vatRate: 10, available: false }] }],
  hours: [{ day: 1, opens: '11:30', closes: '14:30' }, { day: 1, opens: '18:30', closes: '23:00' }, { day: 7, opens: '18:30', closes: '22:30' }],
};

describe('the menu, availability and the restaurant', () => {
  it('the menu is ingested for the restaurant: our ids as PLUs, prices in cents, options as modifiers, sold-out items out of stock', async () => {
    await provider.pushMenu(R, menu);
    const r = fake.restaurants.get(R)!;
    const [pushed] = r.menus;
    expect(pushed).toMatchObject({ type: 'DELIVERY', availability: { monday: ['11:30 - 14:30', '18:30 - 23:00'], tuesday: [], sunday: ['18:30 - 22:30'] } });
    const items = pushed.categories.flatMap((c: any) => c.items);
    expect(items.find((i: any) => i.plu === 'p12')).toMatchObject({
      price: 1450, gallery: [{ url: 'https://img.example/regina.webp' }], allergens: expect.arrayContaining(['CEREAL_WHEAT', 'MILK']),
      modifiers: [{ name: 'Suppléments', pick: { pick_same_option: false, range: { from: 0, to: 3 } }, options: [{ plu: 'o7', price: 150, out_of_stock: false }, { plu: 'o8', price: 300, out_of_stock: true }] }],
    });
    expect(items.find((i: any) => i.plu === 'p3').allergens).toEqual(expect.arrayContaining(['EGGS', 'MILK', 'NUTS_ALMONDS', 'NUTS_HAZELNUTS']));
    expect([...r.unavailable].sort()).toEqual(['o8', 'p13']);
    expect(fake.calls.findLast((c) => c.path === '/menus')!.body.callback_url).toMatch(/\/api\/marketplaces\/just_eat\/webhook$/);
  });

  it('a menu for a restaurant JET Connect does not know is refused for good', async () => {
    await expect(provider.pushMenu('oc-nowhere', menu)).rejects.toMatchObject({ status: 403, permanent: true });
  });

  it('sold out then back: UNAVAILABLE then AVAILABLE for these items only', async () => {
    await provider.pushMenu(R, menu);
    await provider.setAvailability(R, [{ id: 'p12', available: false }, { id: 'o7', available: false }]);
    expect(fake.restaurants.get(R)!.unavailable).toEqual(new Set(['p12', 'o7', 'o8', 'p13']));
    expect(fake.calls.findLast((c) => c.path === '/item-availability')!.body).toMatchObject({ event: 'UNAVAILABLE', itemReferences: ['p12', 'o7'], restaurant: R });
    await provider.setAvailability(R, [{ id: 'p12', available: true }, { id: 'o7', available: true }]);
    expect(fake.restaurants.get(R)!.unavailable).toEqual(new Set(['o8', 'p13']));
  });

  it('paused then open again: offline, online; an unknown restaurant is refused for good', async () => {
    await provider.setStoreStatus(R, { open: false, busyMinutes: 20 });
    expect(fake.restaurants.get(R)!.online).toBe(false);
    await provider.setStoreStatus(R, { open: true, busyMinutes: 0 });
    expect(fake.restaurants.get(R)!.online).toBe(true);
    await expect(provider.setStoreStatus('oc-nowhere', { open: true, busyMinutes: 0 })).rejects.toMatchObject({ status: 404, permanent: true });
  });
});
