// The day's takings, against real Postgres: a day in a shop of its own with orders paid each way
// (online, cash and card at the door, cash and card at the counter), one cancelled and refunded,
// two reduced (refunded online, given back at the counter), a card hold not captured, one still
// to collect, and one of the day before; the figures, the CSV a spreadsheet reads, who may see
// what, a bad date. And the counter's handover of a pickup that still owes money: it says how.
import { beforeAll, describe, expect, it } from 'vitest';
import { seededProduct, Client, addressFor, assignDriver, createShop, handOver, move } from '../helpers.ts';
import { useStack } from '../services.ts';
import { recordRefund } from '../../src/lib/server/money/order-payments.ts';
import { handlePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { recordCapture } from '../../src/lib/server/money/captures.ts';
import { noticeFromStripe } from '../../src/lib/server/money/stripe.ts';
import { createI18n } from '../../src/lib/i18n/index.ts';

const stack = useStack();
let p: { margherita: number; reine: number; peroni: number };

beforeAll(async () => {
  p = { margherita: seededProduct('margherita'), reine: seededProduct('reine'), peroni: seededProduct('peroni') };
});

type Shop = Awaited<ReturnType<typeof createShop>>;
type Lines = [keyof typeof p, number][];
const items = (lines: Lines) => lines.map(([slug, quantity]) => ({ productId: p[slug], quantity }));

/** An order placed as a customer would (or at the counter by `by`); returns its id, token and total. */
async function place(shop: Shop, lines: Lines, opts: { delivery?: boolean; online?: boolean; by?: Client } = {}) {
  const r = await (opts.by ?? new Client(stack.base)).post('/api/orders', {
    pizzeriaId: shop.id,
    channel: opts.by ? 'counter' : 'online',
    fulfilment: opts.delivery ? 'delivery' : 'pickup',
    customer: { name: 'Léa', phone: '0611223344' },
    ...(opts.delivery ? { address: addressFor(shop.id) } : {}),
    items: items(lines),
    payment: opts.online ? 'online' : 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

/** The card is held (the provider's event, as the payments worker applies it) and captured at once (the workers' call when the kitchen starts). */
async function payOnline(order: { id: string; total: number }) {
  const intent = { id: `pi_${order.id.replace(/-/g, '')}`, object: 'payment_intent', status: 'requires_capture', amount: order.total, amount_capturable: order.total, metadata: { order_id: order.id, attempt: '1' } };
  expect((await handlePaymentEvent(stack.pool, noticeFromStripe({ id: `evt_${order.id}`, type: 'payment_intent.amount_capturable_updated', data: { object: intent } }))).outcome).toBe('authorised');
  expect(await recordCapture(stack.pool, 'stripe', order.id, { intentId: intent.id, amountCents: order.total })).not.toBeNull();
}

async function toReady(kitchen: Client, id: string) {
  await move(kitchen, id, 'preparing');
  await move(kitchen, id, 'ready');
}

const parisToday = async () => (await stack.pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;

/** A CSV as a spreadsheet reads it: fields between separators, CRLF between rows, "" for a quote inside a quoted field. */
function parseCsv(text: string, separator = ';'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === separator) {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

describe('the day\'s takings', () => {
  let shop: Shop;
  let manager: Client;
  let today: string;
  let yesterday: string;

  beforeAll(async () => {
    shop = await createShop(stack.pool, 'takings');
    // a name a spreadsheet must not split nor run
    await stack.pool.query(`UPDATE pizzerias SET name = $2 WHERE id = $1`, [shop.id, `=OC Pizza "Test"; ${shop.slug}`]);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    manager = await new Client(stack.base).login(shop.email('manager'));
    await driver.post('/api/driver/shift', { onShift: true });
    today = await parisToday();

    // online, collected: 2 × 10,50
    const online = await place(shop, [['margherita', 2]], { online: true });
    await payOnline(online);
    await toReady(kitchen, online.id);
    await move(kitchen, online.id, 'collected');

    // at the door: cash 10,50 + 2,50 delivery; card 12,50 + 4,00 (20 %) + 2,50
    for (const [lines, method] of [[[['margherita', 1]], 'cash'], [[['reine', 1], ['peroni', 1]], 'card']] as [Lines, 'cash' | 'card'][]) {
      const o = await place(shop, lines, { delivery: true });
      await toReady(kitchen, o.id);
      expect((await assignDriver(stack.pool, o.id)).assigned).toBe(true);
      await move(driver, o.id, 'out_for_delivery');
      await handOver(stack.pool, driver, o.id, method);
    }

    // at the counter, on handover: cash 10,50 + 4,00; card 2 × 12,50
    for (const [lines, paymentMethod] of [[[['margherita', 1], ['peroni', 1]], 'cash'], [[['reine', 2]], 'card']] as [Lines, 'cash' | 'card'][]) {
      const o = await place(shop, lines, { by: counter });
      await toReady(kitchen, o.id);
      expect((await counter.post(`/api/orders/${o.id}/status`, { to: 'collected', paymentMethod })).status).toBe(200);
    }

    // paid online 10,50, cancelled by the customer, refunded by the provider
    const cancelled = await place(shop, [['margherita', 1]], { online: true });
    await payOnline(cancelled);
    expect((await new Client(stack.base).post(`/api/track/${cancelled.token}/cancel`)).status).toBe(200);
    await recordRefund(stack.pool, cancelled.id, { amountCents: 1050, reference: `re_${cancelled.id}` });

    // paid online 3 × 10,50, reduced to one: 21,00 refunded online
    const reduced = await place(shop, [['margherita', 3]], { online: true });
    await payOnline(reduced);
    expect((await new Client(stack.base).patch(`/api/track/${reduced.token}`, { items: items([['margherita', 1]]) })).status).toBe(200);
    await recordRefund(stack.pool, reduced.id, { amountCents: 2100, reference: `re_${reduced.id}` });
    await toReady(kitchen, reduced.id);
    await move(kitchen, reduced.id, 'collected');

    // an online payment that failed, paid in cash at the counter (2 × 10,50), reduced to one: 10,50 given back on handover
    const marked = await place(shop, [['margherita', 2]], { online: true });
    expect((await counter.post(`/api/orders/${marked.id}/status`, { to: 'received', paymentMethod: 'cash' })).status).toBe(200);
    expect((await new Client(stack.base).patch(`/api/track/${marked.token}`, { items: items([['margherita', 1]]) })).status).toBe(200);
    await toReady(kitchen, marked.id);
    expect((await counter.post(`/api/orders/${marked.id}/status`, { to: 'collected' })).status).toBe(200);

    // a card hold of 12,50 not captured yet (as the Stripe webhook leaves it: src/lib/server/money/ledger.ts)
    const held = await place(shop, [['reine', 1]], { online: true });
    await stack.pool.query(
      `UPDATE orders SET status = 'received', received_at = now(), version = version + 1, payment_status = 'authorised',
         paid_cents = total_cents, paid_with = 'online', payment_reference = 'pi_held', payment_intent_id = 'pi_held' WHERE id = $1`,
      [held.id],
    );
    // still to collect at the counter: 10,50
    await place(shop, [['margherita', 1]]);

    // an order of the day before, collected in cash: it counts on its own day only (its day moved
    // back before it is sold: a sale is sealed with its day in the journal when it is made)
    const before = await place(shop, [['margherita', 1]], { by: counter });
    await toReady(kitchen, before.id);
    const { rows } = await stack.pool.query<{ d: string }>(
      `UPDATE orders SET business_day = business_day - 1, version = version + 1 WHERE id = $1 RETURNING business_day::text AS d`,
      [before.id],
    );
    yesterday = rows[0].d;
    await move(counter, before.id, 'collected');
  });

  it('adds up what the shop took by way, the refunds, the net, the counts, the average ticket, the delivery fees and the VAT per rate', async () => {
    const r = await manager.get(`/api/shops/${shop.id}/takings`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.date).toBe(today);
    expect(r.body.shops).toHaveLength(1);
    const s = r.body.shops[0];
    expect(s.shop).toEqual({ id: shop.id, slug: shop.slug, name: `=OC Pizza "Test"; ${shop.slug}` });
    expect(s.takenCents).toEqual({
      online: 2100 + 1050 + 3150,
      door_cash: 1300,
      door_card: 1900,
      counter_cash: 1450 + 2100,
      counter_card: 2500,
      counter_terminal: 0,
      phone: 0,
      unrecorded: 0,
      // no delivery platform's order here (tests/road/marketplace-takings.test.ts has them)
      marketplace: 0,
      // nor a QR code paid at the door (tests/road/door-qr.test.ts)
      door_qr: 0,
      // nor a titre-restaurant, a way per issuer (tests/road/meal-vouchers.test.ts)
      voucher_bimpli: 0, voucher_pluxee: 0, voucher_up_dejeuner: 0, voucher_swile: 0, voucher_edenred: 0,
    });
    expect(s).toMatchObject({
      totalTakenCents: 15550,
      heldCents: 1250,
      refunds: { onlineCents: 1050 + 2100, shopCents: 1050 },
      totalRefundsCents: 4200,
      netCents: 11350,
      refundDueCents: 0,
      toCollectCents: 1050,
      orders: { paid: 7, cancelled: 1, open: 2 },
      // the seven orders sold: 21 + 13 + 19 + 14,50 + 25 + 10,50 + 10,50
      salesCents: 11350,
      averageTicketCents: 1621,
      deliveryFeesCents: 500,
    });
    // 10 %: the food and the delivery fees, 105,50; 20 %: two beers, 8,00
    expect(s.vat).toEqual([
      { rate: 10, netCents: 9591, vatCents: 959, grossCents: 10550 },
      { rate: 20, netCents: 667, vatCents: 133, grossCents: 800 },
    ]);

    // the same for the date given; the day before has its own order only
    expect((await manager.get(`/api/shops/${shop.id}/takings?date=${today}`)).body.shops[0]).toEqual(s);
    const before = (await manager.get(`/api/shops/${shop.id}/takings?date=${yesterday}`)).body.shops[0];
    expect(before).toMatchObject({ totalTakenCents: 1050, takenCents: { counter_cash: 1050 }, orders: { paid: 1, cancelled: 0, open: 0 }, netCents: 1050 });
    const empty = (await manager.get(`/api/shops/${shop.id}/takings?date=2020-01-15`)).body.shops[0];
    expect(empty).toMatchObject({ totalTakenCents: 0, netCents: 0, orders: { paid: 0, cancelled: 0, open: 0 }, averageTicketCents: 0, vat: [] });
  });

  it('exports the day as a CSV a French spreadsheet reads: BOM, semicolons, decimal commas, quoted names, a file to save', async () => {
    const res = await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?date=${today}`, { headers: { cookie: manager.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="takings-${shop.slug}-${today}.csv"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, row, ...rest] = parseCsv(text);
    expect(rest).toEqual([]);
    // then three columns per delivery platform of the registry (tests/road/marketplace-takings.test.ts)
    expect(header.slice(0, 41)).toEqual([
      'Date', 'Pizzeria', 'En ligne (carte)', 'Espèces à la livraison', 'Carte à la livraison', 'Espèces au comptoir', 'Carte au comptoir (hors système)',
      'Carte TPE au comptoir', 'Par téléphone', 'Comptoir, moyen non précisé', 'Payé à une plateforme de livraison', 'QR code à la livraison',
      'Titre-restaurant Bimpli', 'Titre-restaurant Pluxee', 'Titre-restaurant Up Déjeuner', 'Titre-restaurant Swile', 'Titre-restaurant Edenred', 'Total encaissé', 'Remboursé sur la carte', 'Rendu en boutique', 'Net',
      'Empreintes carte en attente', 'Commandes payées', 'Commandes annulées', 'Panier moyen', 'Ventes TTC', 'Frais de livraison',
      'HT 5,5 %', 'TVA 5,5 %', 'HT 10 %', 'TVA 10 %', 'HT 20 %', 'TVA 20 %',
      'Remboursements accordés', 'Ventes nettes TTC', 'TVA remboursée 5,5 %', 'TVA remboursée 10 %', 'TVA remboursée 20 %',
      'Ventes brutes (avant remises)', 'Remises (codes promo et points fidélité)', 'Commandes avec une remise',
    ]);
    const cell = Object.fromEntries(header.slice(0, 41).map((h, i) => [h, row[i]]));
    expect(cell).toEqual({
      Date: today,
      // a name starting like a formula is not run by the spreadsheet; its ; and " survive the quoting
      Pizzeria: `'=OC Pizza "Test"; ${shop.slug}`,
      'En ligne (carte)': '63,00',
      'Espèces à la livraison': '13,00',
      'Carte à la livraison': '19,00',
      'Espèces au comptoir': '35,50',
      'Carte au comptoir (hors système)': '25,00',
      'Carte TPE au comptoir': '0,00',
      'Par téléphone': '0,00',
      'Comptoir, moyen non précisé': '0,00',
      'Payé à une plateforme de livraison': '0,00',
      'QR code à la livraison': '0,00',
      'Titre-restaurant Bimpli': '0,00', 'Titre-restaurant Pluxee': '0,00', 'Titre-restaurant Up Déjeuner': '0,00', 'Titre-restaurant Swile': '0,00', 'Titre-restaurant Edenred': '0,00',
      'Total encaissé': '155,50',
      'Remboursé sur la carte': '31,50',
      'Rendu en boutique': '10,50',
      Net: '113,50',
      'Empreintes carte en attente': '12,50',
      'Commandes payées': '7',
      'Commandes annulées': '1',
      'Panier moyen': '16,21',
      'Ventes TTC': '113,50',
      'Frais de livraison': '5,00',
      'HT 5,5 %': '0,00',
      'TVA 5,5 %': '0,00',
      'HT 10 %': '95,91',
      'TVA 10 %': '9,59',
      'HT 20 %': '6,67',
      'TVA 20 %': '1,33',
      // no manager refunded anything: the sales stay whole (tests/road/manager-refunds.test.ts refunds)
      'Remboursements accordés': '0,00',
      'Ventes nettes TTC': '113,50',
      'TVA remboursée 5,5 %': '0,00',
      'TVA remboursée 10 %': '0,00',
      'TVA remboursée 20 %': '0,00',
      // no promo code: the gross sales are the sales (tests/road/promo-codes.test.ts uses them)
      'Ventes brutes (avant remises)': '113,50',
      'Remises (codes promo et points fidélité)': '0,00',
      'Commandes avec une remise': '0',
    });

    // in English: commas and decimal points
    const en = await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?date=${today}&lang=en`, { headers: { cookie: manager.cookie } });
    const [enHeader, enRow] = parseCsv((await en.text()).replace(/^\uFEFF/, ''), ',');
    expect(enHeader.slice(0, 3)).toEqual(['Date', 'Shop', 'Online (card)']);
    expect(enRow[enHeader.indexOf('Net')]).toBe('113.50');
  });

  it('a shop name cannot break out of its cell nor run as a formula, in a French or an English spreadsheet, whichever language the file was saved in', async () => {
    const { rows: [{ name: kept }] } = await stack.pool.query('SELECT name FROM pizzerias WHERE id = $1', [shop.id]);
    const hostile = [
      `Chez Toto,=HYPERLINK("https://evil.example","x") ${shop.slug}`,
      `Chez Toto;=1+1 ${shop.slug}`,
      ` =1+1 ${shop.slug}`,
      `"=1+1 ${shop.slug}`,
      `\t-2+3 ${shop.slug}`,
      `@SUM(A1) ${shop.slug}`,
    ];
    // an apostrophe first makes the rest text
    const dangerous = (cell: string) => /^[\s"]*([=+@\t\r]|-[^\d])/.test(cell);
    try {
      for (const name of hostile) {
        await stack.pool.query('UPDATE pizzerias SET name = $2 WHERE id = $1', [shop.id, name]);
        for (const lang of ['fr', 'en']) {
          const csv = (await (await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?date=${today}&lang=${lang}`, { headers: { cookie: manager.cookie } })).text()).replace(/^\uFEFF/, '');
          const own = parseCsv(csv, lang === 'fr' ? ';' : ',');
          // whole in its own cell, an apostrophe before it when it starts like a formula
          expect(own[1][1], `${lang}: ${name}`).toBe(dangerous(name) ? `'${name}` : name);
          for (const separator of [';', ',']) {
            const cells = parseCsv(csv, separator).flat();
            expect(cells.filter(dangerous), `${lang} read with "${separator}": ${name}`).toEqual([]);
          }
        }
      }
    } finally {
      await stack.pool.query('UPDATE pizzerias SET name = $2 WHERE id = $1', [shop.id, kept]);
    }
  });

  it('gives head office every shop and the chain\'s total, in JSON and in one CSV row per shop', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const all = (await admin.get(`/api/takings?date=${today}`)).body;
    const mine = all.shops.find((s: { shop: { id: number } }) => s.shop.id === shop.id);
    expect(mine.netCents).toBe(11350);
    const shopIds = (await stack.pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id);
    expect(all.shops.map((s: { shop: { id: number } }) => s.shop.id)).toEqual(shopIds);
    const sum = (f: (s: any) => number) => all.shops.reduce((n: number, s: any) => n + f(s), 0);
    expect(all.total.netCents).toBe(sum((s) => s.netCents));
    expect(all.total.takenCents.counter_card).toBe(sum((s) => s.takenCents.counter_card));
    expect(all.total.orders.paid).toBe(sum((s) => s.orders.paid));

    const res = await fetch(`${stack.base}/api/takings.csv?date=${today}`, { headers: { cookie: admin.cookie } });
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="takings-all-${today}.csv"`);
    const rows = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
    expect(rows).toHaveLength(1 + shopIds.length + 1);
    const net = rows[0].indexOf('Net');
    expect(rows.find((r) => r[1].includes(shop.slug))![net]).toBe('113,50');
    expect(rows.at(-1)!.slice(0, 2)).toEqual([today, 'Total du réseau']);
    expect(rows.at(-1)![net]).toBe((all.total.netCents / 100).toFixed(2).replace('.', ','));
  });

  it('refuses another shop\'s manager, the kitchen, drivers, anyone logged out, a manager asking for every shop, and a bad date', async () => {
    const other = await createShop(stack.pool, 'takings-other');
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    for (const path of [`/api/shops/${shop.id}/takings`, `/api/shops/${shop.id}/takings.csv`]) {
      expect((await otherManager.get(path)).status, path).toBe(403);
    }
    for (const who of ['kitchen', 'driver1', 'counter'] as const) {
      const staff = await new Client(stack.base).login(shop.email(who));
      expect((await staff.get(`/api/shops/${shop.id}/takings`)).status, who).toBe(403);
      expect((await staff.get(`/api/shops/${shop.id}/takings.csv`)).status, who).toBe(403);
    }
    expect((await new Client(stack.base).get(`/api/shops/${shop.id}/takings`)).status).toBe(401);
    expect((await manager.get('/api/takings')).status).toBe(403);
    expect((await manager.get('/api/takings.csv')).status).toBe(403);

    for (const date of ['2025-02-30', '15/01/2025', 'today', '2025-1-5']) {
      const r = await manager.get(`/api/shops/${shop.id}/takings.csv?date=${encodeURIComponent(date)}`);
      expect(r.status, date).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'invalid', fields: { date: 'A date (YYYY-MM-DD)' } });
    }
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    expect((await admin.get('/api/takings?date=2025-13-01')).status).toBe(422);
    expect((await admin.get('/api/shops/999999/takings')).status).toBe(404);
  });
});

describe('handing over a pickup at the counter', () => {
  it('needs to say how an unpaid pickup was paid, cash or card, records it, and the receipt says "Carte"', async () => {
    const shop = await createShop(stack.pool, 'handover');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const o = await place(shop, [['reine', 1]], { by: counter });
    await toReady(kitchen, o.id);
    const ready = (await counter.get(`/api/orders/${o.id}`)).body;

    for (const body of [{ to: 'collected' }, { to: 'collected', paymentMethod: 'phone' }]) {
      const refused = await counter.post(`/api/orders/${o.id}/status`, body);
      expect(refused.status, JSON.stringify(body)).toBe(422);
      expect(refused.body.error.code).toBe('invalid');
      expect(refused.body.error.fields.paymentMethod).toMatch(/owes 12\.50 €.*cash or card/);
    }
    // refused: nothing changed
    expect((await counter.get(`/api/orders/${o.id}`)).body).toMatchObject({ status: 'ready', version: ready.version, amountDueCents: 1250, delivery: { collected: null } });

    const done = await counter.post(`/api/orders/${o.id}/status`, { to: 'collected', paymentMethod: 'card' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'collected', paidCents: 1250, amountDueCents: 0, delivery: { collected: { cents: 1250, method: 'card' } } });

    const fr = (await new Client(stack.base).get(`/api/track/${o.token}/receipt?lang=fr`)).body;
    expect(fr.payments).toEqual([{ method: 'counter_card', amountCents: 1250 }]);
    expect(createI18n('fr').t(`receipt.paidWith.${fr.payments[0].method}`)).toBe('Carte');
    expect(createI18n('en').t(`receipt.paidWith.${fr.payments[0].method}`)).toBe('Card');

    // a pickup paid online owes nothing: handed over without a word about money
    const paid = await place(shop, [['margherita', 1]], { online: true });
    await payOnline(paid);
    await toReady(kitchen, paid.id);
    const collected = await counter.post(`/api/orders/${paid.id}/status`, { to: 'collected' });
    expect(collected.status).toBe(200);
    expect(collected.body.delivery.collected).toBeNull();
  });
});
