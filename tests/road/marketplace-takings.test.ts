// A hand-computed day and week of a shop with both delivery platforms and its own orders: the day's
// takings show each platform apart (its sales and their VAT, its commission, what it owes the shop)
// and its money as paid to the platform, never the shop's cash; the CSV has the same per platform;
// the week's reconciliation holds each store's orders against the platform's report, with the
// refund the platform granted, and lists every difference. The figures below were worked out by hand.
//
// Prices: a margherita 10,50 (VAT 10 %), a beer 4,00 (VAT 20 %).
//   Uber Eats   UE1  2 margheritas          21,00   commission 6,30
//               UE2  1 margherita + 1 beer  14,50   commission 4,35
//               UE3  1 beer                  4,00   commission 1,20   (refunded by Uber Eats: 4,00)
//               sales 39,50; VAT 10 %: 31,50 gross → 2,86; VAT 20 %: 8,00 gross → 1,33; commission 11,85; due 27,65
//   Deliveroo   DR1  3 margheritas          31,50   commission 7,88
//               DR2  1 margherita           10,50   commission 2,63
//               sales 42,00; VAT 10 %: 42,00 gross → 3,82; commission 10,51; due 31,49
//   Our own     1 margherita, cash at the counter: 10,50
//   The day: sales 92,00; paid to the platforms 81,50; cash at the counter 10,50.
//
// Uber Eats' report of the week agrees: 3 orders, 39,50, commission 11,85, refund 4,00, payout
//   21,00−6,30 + 14,50−4,35 + 4,00−1,20−4,00 = 14,70 + 10,15 − 1,20 = 23,65 = 39,50 − 11,85 − 4,00.
// Deliveroo's report does not: DR2 at 10,00 (commission 2,50), and an order "dr-ghost" of 9,00 we never
//   had (commission 2,25): 3 orders, 50,50, commission 12,63; payout 23,62 + 7,50 + 6,75 = 37,87;
//   what our orders call for: 42,00 − 12,63 = 29,37.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { connectStore, platformOrder, seedReport, stubPlatform } from '../marketplace-office-fixtures.ts';
import { weekStartOf } from '../../src/lib/domain/marketplace-reconcile.ts';
import { fiscalKeyFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { journalOrders } from '../../src/lib/server/fiscal/order-facts.ts';
import { chooseBackOfficePlatforms } from '../../src/lib/server/marketplaces/stores.ts';
import { todayInParis } from '../../src/lib/server/money/takings.ts';

const stack = useStack();
const key = fiscalKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

beforeAll(() => chooseBackOfficePlatforms([stubPlatform('uber_eats', 'Uber Eats'), stubPlatform('deliveroo', 'Deliveroo')]));
afterAll(() => chooseBackOfficePlatforms(null));

describe('a week of platform orders beside our own', () => {
  let shop: Awaited<ReturnType<typeof createShop>>;
  let manager: Client;
  let week: string;
  const ue = (n: number) => `ue-${shop.slug}-${n}`;
  const dr = (n: number) => `dr-${shop.slug}-${n}`;

  beforeAll(async () => {
    shop = await createShop(stack.pool, 'mkt-week');
    manager = await new Client(stack.base).login(shop.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    await connectStore(stack.pool, 'uber_eats', shop.id, `ue-store-${shop.slug}`);
    await connectStore(stack.pool, 'deliveroo', shop.id, `dr-store-${shop.slug}`, 25);
    const m = seededProduct('margherita');
    const beer = seededProduct('peroni');
    const orders = [
      { marketplace: 'uber_eats', externalId: ue(1), lines: [{ productId: m, quantity: 2 }], commissionCents: 630 },
      { marketplace: 'uber_eats', externalId: ue(2), lines: [{ productId: m, quantity: 1 }, { productId: beer, quantity: 1 }], commissionCents: 435 },
      { marketplace: 'uber_eats', externalId: ue(3), lines: [{ productId: beer, quantity: 1 }], commissionCents: 120 },
      { marketplace: 'deliveroo', externalId: dr(1), lines: [{ productId: m, quantity: 3 }], commissionCents: 788 },
      { marketplace: 'deliveroo', externalId: dr(2), lines: [{ productId: m, quantity: 1 }], commissionCents: 263 },
    ];
    const ids: string[] = [];
    for (const o of orders) ids.push((await platformOrder(stack.base, stack.pool, { pizzeriaId: shop.id, ...o })).id);
    // our own: a margherita paid cash at the counter
    const own = await counter.post('/api/orders', { pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: '06 98 76 54 32' }, items: [{ productId: m, quantity: 1 }], payment: 'on_delivery' });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    await move(kitchen, own.body.id, 'preparing');
    await move(kitchen, own.body.id, 'ready');
    expect((await counter.post(`/api/orders/${own.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    await journalOrders(stack.pool, key, [...ids, own.body.id]);

    week = weekStartOf(await todayInParis(stack.pool));
    const line = (externalId: string, totalCents: number, commissionCents: number, refundCents = 0) => ({ externalId, totalCents, commissionCents, refundCents, payoutCents: totalCents - commissionCents - refundCents });
    await seedReport(stack.pool, 'uber_eats', {
      storeId: `ue-store-${shop.slug}`, weekStart: week, adjustmentsCents: 0, payoutCents: 2365,
      orders: [line(ue(1), 2100, 630), line(ue(2), 1450, 435), line(ue(3), 400, 120, 400)],
    });
    await seedReport(stack.pool, 'deliveroo', {
      storeId: `dr-store-${shop.slug}`, weekStart: week, adjustmentsCents: 0, payoutCents: 3787,
      orders: [line(dr(1), 3150, 788), line(dr(2), 1000, 250), line('dr-ghost', 900, 225)],
    });
  });

  it("shows each platform apart in the day's takings: sales, VAT per rate, commission, due to the shop; its money is not the shop's cash", async () => {
    const s = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(s.platforms).toEqual([
      {
        marketplace: 'deliveroo', orders: 2, salesCents: 4200, commissionCents: 1051, dueCents: 3149,
        vat: [{ rate: 10, netCents: 3818, vatCents: 382, grossCents: 4200 }],
      },
      {
        marketplace: 'uber_eats', orders: 3, salesCents: 3950, commissionCents: 1185, dueCents: 2765,
        vat: [{ rate: 10, netCents: 2864, vatCents: 286, grossCents: 3150 }, { rate: 20, netCents: 667, vatCents: 133, grossCents: 800 }],
      },
    ]);
    expect(s.takenCents).toMatchObject({ marketplace: 8150, counter_cash: 1050, counter_card: 0, unrecorded: 0 });
    expect(s.salesCents).toBe(9200);
    expect(s.orders.paid).toBe(6);
  });

  it('has the same per platform in the CSV, a column group each', async () => {
    const r = await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?lang=en`, { headers: { cookie: manager.cookie } });
    // fields split on the commas outside quotes ("Counter, method not recorded" is one)
    const fields = (line: string) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1].replace(/^"|"$/g, '')).slice(0, -1);
    const [header, row] = (await r.text()).replace('\uFEFF', '').trim().split('\r\n').map(fields);
    expect(header.length).toBe(row.length);
    const cell = (name: string) => row[header.indexOf(name)];
    expect([cell('Uber Eats sales'), cell('Uber Eats commission'), cell('Uber Eats due to the shop')]).toEqual(['39.50', '11.85', '27.65']);
    expect([cell('Deliveroo sales'), cell('Deliveroo commission'), cell('Deliveroo due to the shop')]).toEqual(['42.00', '10.51', '31.49']);
    expect(cell('Paid to a delivery platform')).toBe('81.50');
    expect(cell('Cash at the counter')).toBe('10.50');
  });

  it("agrees with Uber Eats' report of the week, its refund and payout included", async () => {
    const r = await manager.get(`/api/marketplaces/reconcile?platform=uber_eats&week=${week}`);
    expect(r.status).toBe(200);
    const store = r.body.stores.find((x: { storeId: string }) => x.storeId === `ue-store-${shop.slug}`);
    expect(store).toMatchObject({
      ours: { count: 3, totalCents: 3950, expectedCommissionCents: 1185 },
      theirs: { count: 3, totalCents: 3950, refundsCents: 400, commissionCents: 1185, adjustmentsCents: 0, payoutCents: 2365 },
      expectedPayoutCents: 2365,
      differences: [],
    });
  });

  it("lists every difference with Deliveroo's report: a total that differs, an order we never had", async () => {
    const store = (await manager.get(`/api/marketplaces/reconcile?platform=deliveroo&week=${week}`)).body.stores.find((x: { storeId: string }) => x.storeId === `dr-store-${shop.slug}`);
    expect(store).toMatchObject({
      ours: { count: 2, totalCents: 4200, expectedCommissionCents: 1051 },
      theirs: { count: 3, totalCents: 5050, refundsCents: 0, commissionCents: 1263, payoutCents: 3787 },
      expectedPayoutCents: 2937,
    });
    expect(store.differences).toEqual([
      { kind: 'total_differs', externalId: dr(2), number: expect.any(Number), ourTotalCents: 1050, theirTotalCents: 1000 },
      { kind: 'missing_here', externalId: 'dr-ghost', theirTotalCents: 900 },
    ]);
  });

  it('refuses a week that is not a Monday and a platform nobody knows', async () => {
    expect((await manager.get(`/api/marketplaces/reconcile?platform=deliveroo&week=2026-11-24`)).status).toBe(422);
    expect((await manager.get(`/api/marketplaces/reconcile?platform=just_eat&week=${week}`)).status).toBe(404);
  });
});
