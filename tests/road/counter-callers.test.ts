// The counter finds a caller by their number, against real Postgres and Redis: their name, their
// last orders with lines and options, their addresses (distinct, latest first, with the spot and the
// door's details) and what went wrong before, whatever way the number is typed and whichever shop
// of the chain they ordered from. Only staff who take orders may ask, a bad number is refused, and a
// member of staff who asks too often is slowed down.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CALLER_LOOKUPS_PER_10_MIN } from '../../server/api/counter.ts';
import { searchAudit } from '../../src/lib/server/kernel/audit.ts';
import { callerAuditIds } from '../../src/lib/server/customers/callers.ts';
import { Client, SHOPS, createShop, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack();
const margherita = seededProduct('margherita');
const reine = seededProduct('reine');
const coca = seededProduct('coca-cola');
const tiramisu = seededProduct('tiramisu');

/** A French mobile number no other test uses: "07 xx xx xx xx" (06 90 to 06 97 are overseas: +590, +594, +596, +262). */
function freshNumber(): string {
  const n = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return `07 ${n.slice(0, 2)} ${n.slice(2, 4)} ${n.slice(4, 6)} ${n.slice(6, 8)}`;
}
const lookup = (who: Client, phone: string) => who.get(`/api/counter/callers?phone=${encodeURIComponent(phone)}`);

async function optionId(productId: number, kind: string, name?: string): Promise<number> {
  const { rows } = await stack.pool.query('SELECT id FROM product_options WHERE product_id = $1 AND kind = $2 AND ($3::text IS NULL OR name = $3) ORDER BY position, id LIMIT 1', [productId, kind, name ?? null]);
  return rows[0].id;
}

/** Places an order at the counter (the same path the counter page takes) and checks it went. */
async function place(counter: Client, body: Record<string, unknown>) {
  const r = await counter.post('/api/orders', { channel: 'phone', payment: 'on_delivery', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; number: number };
}

describe('the counter finds a caller by their number', () => {
  it('shows the last orders with their lines and options, and the addresses latest first with their spot and door, from every shop and however the number is typed', async () => {
    const shop = await createShop(stack.pool, 'caller');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const other = await new Client(stack.base).login('counter.montmartre@ocpizza.test');
    const phone = freshNumber();
    const digits = phone.replace(/ /g, '');
    const large = await optionId(margherita, 'size');
    const extra = await optionId(margherita, 'extra', 'Supplément jambon');

    // the first order, weeks ago in another life: to Charonne, with its door code
    const first = await place(counter, {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Moreau', phone: digits },
      address: { street: '8 rue de Charonne', postcode: '75011', city: 'Paris', doorCode: '4512B', floor: '3e gauche', instructions: 'Sonner deux fois' },
      items: [{ productId: reine, quantity: 1 }],
    });
    // then a pickup at another shop of the chain, the number typed the international way
    await place(other, { pizzeriaId: SHOPS.montmartre, fulfilment: 'pickup', customer: { name: 'Inès Moreau', phone: `+33 ${digits.slice(1)}` }, items: [{ productId: tiramisu, quantity: 2 }] });
    // then Oberkampf, twice: the latest one's door code wins
    await place(counter, {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Moreau', phone },
      address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', doorCode: '1111' },
      items: [{ productId: margherita, quantity: 1 }],
    });
    const last = await place(counter, {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès M.', phone: `0033 ${digits.slice(1)}` },
      address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', doorCode: '2024A', floor: '5e', instructions: 'Cour au fond' },
      items: [
        { productId: margherita, quantity: 2, options: [large, extra] },
        { productId: reine, quantity: 1 },
        { productId: coca, quantity: 3 },
        { productId: tiramisu, quantity: 1 },
      ],
    });

    for (const typed of [phone, digits, `+33 ${digits.slice(1)}`, `0033${digits.slice(1)}`, `+33 (0)${digits.slice(1)}`, digits.replace(/(\d\d)/g, '$1.').slice(0, -1)]) {
      const r = await lookup(other, typed);
      expect(r.status, `${typed}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.caller.phone).toBe(`+33${digits.slice(1)}`);
    }

    const { caller } = (await lookup(counter, phone)).body;
    expect(caller.name).toBe('Inès M.');
    expect(caller.orderCount).toBe(4);
    // the last order first, with its lines as sold: options, unit prices, quantities
    expect(caller.orders.map((o: { number: number }) => o.number)[0]).toBe(last.number);
    expect(caller.orders.at(-1).id).toBe(first.id);
    expect(caller.orders[2]).toMatchObject({ pizzeriaId: SHOPS.montmartre, shop: 'OC Pizza Montmartre', fulfilment: 'pickup', address: null });
    const latest = caller.orders[0];
    expect(latest).toMatchObject({ pizzeriaId: shop.id, fulfilment: 'delivery', status: 'received', address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris' } });
    expect(latest.lines).toEqual([
      { productId: margherita, secondHalfId: null, name: 'Margherita', quantity: 2, unitPriceCents: 1050 + 400 + 200, options: [{ id: large, kind: 'size', name: 'Grande (40 cm)' }, { id: extra, kind: 'extra', name: 'Supplément jambon' }] },
      { productId: reine, secondHalfId: null, name: 'Reine', quantity: 1, unitPriceCents: 1250, options: [] },
      { productId: coca, secondHalfId: null, name: 'Coca-Cola 33 cl', quantity: 3, unitPriceCents: 300, options: [] },
      { productId: tiramisu, secondHalfId: null, name: 'Tiramisu', quantity: 1, unitPriceCents: 550, options: [] },
    ]);
    const { rows } = await stack.pool.query('SELECT total_cents FROM orders WHERE id = $1', [last.id]);
    expect(latest.totalCents).toBe(rows[0].total_cents);
    // two addresses, the latest first, each as its latest order had it, with the spot the geocoder
    // found for the first order to it (its saved position, and where it came from)
    expect(caller.addresses).toEqual([
      { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736, doorCode: '2024A', floor: '5e', instructions: 'Cour au fond', lastUsedAt: latest.createdAt,
        spot: { savedAt: caller.orders[1].createdAt, by: 'geocoder' } },
      { street: '8 rue de Charonne', postcode: '75011', city: 'Paris', lat: 48.8532, lng: 2.3745, doorCode: '4512B', floor: '3e gauche', instructions: 'Sonner deux fois', lastUsedAt: caller.orders.at(-1).createdAt,
        spot: { savedAt: caller.orders.at(-1).createdAt, by: 'geocoder' } },
    ]);
    expect(caller.notes).toEqual([]);
  });

  it('keeps an address\'s first position: an order after it sent without one, or with another pin, changes nothing', async () => {
    const shop = await createShop(stack.pool, 'caller-spot');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const phone = freshNumber();
    const body = (address: Record<string, unknown>) => ({
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Lina Vague', phone }, items: [{ productId: margherita, quantity: 1 }],
      address: { street: 'rue vague des Lilas', postcode: '75011', city: 'Paris', ...address },
    });
    // not found by the map service: first sent with no position, then placed on the map by the counter
    await place(counter, body({}));
    const [none] = (await lookup(counter, phone)).body.caller.addresses;
    expect(none).toMatchObject({ lat: null, lng: null, spot: null });
    const pinned = await place(counter, body({ lat: 48.8612, lng: 2.3745, locatedBy: 'pin' }));
    await place(counter, body({ doorCode: '9C' }));
    await place(counter, body({ lat: 48.8655, lng: 2.3801, locatedBy: 'pin' }));
    const { caller } = (await lookup(counter, phone)).body;
    const pinnedAt = caller.orders.find((o: { id: string }) => o.id === pinned.id).createdAt;
    expect(caller.addresses).toEqual([expect.objectContaining({ lat: 48.8612, lng: 2.3745, spot: { savedAt: pinnedAt, by: 'pin' } })]);
  });

  it('says what went wrong before: a delivery that failed with its note, and a low rating with its comment', async () => {
    const shop = await createShop(stack.pool, 'caller-notes');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const phone = freshNumber();
    const body = { pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Paul Roux', phone }, address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris' }, items: [{ productId: margherita, quantity: 1 }] };
    const failed = await place(counter, body);
    const rated = await place(counter, body);
    // what the driver and the customer said of those orders, as their own flows keep it (tests/delivery-proof, tests/ratings)
    await stack.pool.query(`UPDATE orders SET delivery_failure = 'absent', delivery_failure_note = 'Personne au 5e, interphone HS', version = version + 1 WHERE id = $1`, [failed.id]);
    await stack.pool.query(`INSERT INTO order_ratings (order_id, pizzeria_id, fulfilment, food, delivery, comment) VALUES ($1, $2, 'delivery', 2, 4, 'Pizza tiède')`, [rated.id, shop.id]);
    const { caller } = (await lookup(counter, phone)).body;
    expect(caller.notes).toEqual([
      { kind: 'rating', at: expect.any(String), orderNumber: rated.number, food: 2, delivery: 4, comment: 'Pizza tiède' },
      { kind: 'failed_delivery', at: expect.any(String), orderNumber: failed.number, reason: 'absent', note: 'Personne au 5e, interphone HS' },
    ]);
  });

  it('finds orders placed before numbers were keyed, once the migration has keyed them', async () => {
    const shop = await createShop(stack.pool, 'caller-old');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const phone = freshNumber();
    const placed = await place(counter, { pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Ancien Client', phone: `+33 (0)${phone.slice(1)}` }, items: [{ productId: margherita, quantity: 1 }] });
    // as an order of before 0027 was: no key
    await stack.pool.query('UPDATE orders SET phone_key = NULL, version = version + 1 WHERE id = $1', [placed.id]);
    expect((await lookup(counter, phone)).body).toEqual({ caller: null });
    // the migration's backfill, as it ran on such a database
    const up = readFileSync('db/migrations/0047_caller_lookup.sql', 'utf8').split('-- Down Migration')[0];
    const backfill = up.slice(up.indexOf('ALTER TABLE orders DISABLE'), up.indexOf('orders_guard;', up.indexOf('ENABLE TRIGGER')) + 'orders_guard;'.length);
    expect(backfill).toMatch(/^ALTER TABLE orders DISABLE TRIGGER orders_guard;\nUPDATE orders o SET phone_key[^]*ENABLE TRIGGER orders_guard;$/);
    await stack.pool.query(backfill);
    const { rows } = await stack.pool.query('SELECT phone_key FROM orders WHERE id = $1', [placed.id]);
    expect(rows[0].phone_key).toBe(`+33${phone.replace(/ /g, '').slice(1)}`);
    expect((await lookup(counter, phone)).body.caller).toMatchObject({ name: 'Ancien Client', orderCount: 1 });
  });

  it('answers a number the chain has never had an order from as a new caller', async () => {
    const counter = await new Client(stack.base).login('counter.bastille@ocpizza.test');
    const r = await lookup(counter, freshNumber());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ caller: null });
  });
});

describe('who may look a caller up, and with what', () => {
  it('refuses a number that is not whole or not a number, with the field named, and anyone who does not take orders', async () => {
    const counter = await new Client(stack.base).login('counter.bastille@ocpizza.test');
    for (const bad of ['06 12 34', '061234567890', 'abc', '', '06 12 34 56 78\u0000', `06${'1'.repeat(40)}`]) {
      const r = await lookup(counter, bad);
      expect(r.status, `${JSON.stringify(bad)}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(Object.keys(r.body.error.fields)).toEqual(['phone']);
    }
    expect((await counter.get('/api/counter/callers')).status).toBe(422);
    expect((await counter.get('/api/counter/callers?phone=0612345678&extra=1')).status).toBe(422);
    expect((await lookup(new Client(stack.base), '06 12 34 56 78')).status).toBe(401);
    for (const who of ['kitchen.bastille@ocpizza.test', 'driver1.bastille@ocpizza.test']) {
      const r = await lookup(await new Client(stack.base).login(who), '06 12 34 56 78');
      expect(r.status, who).toBe(403);
    }
    for (const who of ['manager.bastille@ocpizza.test', 'admin@ocpizza.test']) {
      expect((await lookup(await new Client(stack.base).login(who), '06 12 34 56 78')).status, who).toBe(200);
    }
  });

  it(`slows down a member of staff past ${CALLER_LOOKUPS_PER_10_MIN} lookups in 10 minutes, and only them`, async () => {
    const shop = await createShop(stack.pool, 'caller-limit');
    const busy = await new Client(stack.base).login(shop.email('counter'));
    const colleague = await new Client(stack.base).login(shop.email('manager'));
    const statuses: number[] = [];
    for (let i = 0; i < CALLER_LOOKUPS_PER_10_MIN; i += 20) {
      statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => lookup(busy, '06 00 00 00 01').then((r) => r.status)))));
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const refused = await lookup(busy, '06 00 00 00 01');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect((await lookup(colleague, '06 00 00 00 01')).status).toBe(200);
  });
});

describe("what a counter sees of another shop's callers, and the trace each lookup leaves", () => {
  const login = (email: string) => new Client(stack.base).login(email);
  const auditOf = async (pizzeriaId: number) =>
    (await stack.pool.query(`SELECT actor_id, actor, action, entity, entity_id, pizzeria_id, before, after FROM audit_log WHERE entity = 'caller' AND pizzeria_id = $1 ORDER BY id`, [pizzeriaId])).rows;

  it("a counter or a manager of another shop sees what was ordered, but no address, door code, name or driver's note; the caller's own shop and head office see them", async () => {
    const home = await createShop(stack.pool, 'caller-home');
    const away = await createShop(stack.pool, 'caller-away');
    const phone = freshNumber();
    const placed = await place(await login(home.email('counter')), {
      pizzeriaId: home.id, fulfilment: 'delivery', customer: { name: 'Claire Vasseur', phone },
      address: { street: '8 rue de Charonne', postcode: '75011', city: 'Paris', doorCode: '7788C', floor: '4e droite', instructions: 'Interphone au nom de Vasseur' },
      items: [{ productId: reine, quantity: 1 }],
    });
    await stack.pool.query(`UPDATE orders SET delivery_failure = 'absent', delivery_failure_note = 'Personne au 4e', version = version + 1 WHERE id = $1`, [placed.id]);

    for (const who of [away.email('counter'), away.email('manager')]) {
      const r = await lookup(await login(who), phone);
      expect(r.status, who).toBe(200);
      const text = JSON.stringify(r.body);
      for (const secret of ['Charonne', '7788C', '4e droite', 'Interphone', 'Vasseur', 'Claire', 'Personne', '48.85']) expect(text, `${who} reads ${secret}`).not.toContain(secret);
      expect(r.body.caller).toMatchObject({ name: null, orderCount: 1, addresses: [], notes: [] });
      expect(r.body.caller.orders).toEqual([expect.objectContaining({ id: placed.id, pizzeriaId: home.id, fulfilment: 'delivery', address: null, lines: [expect.objectContaining({ productId: reine, quantity: 1 })] })]);
    }
    for (const who of [home.email('counter'), 'admin@ocpizza.test']) {
      const { caller } = (await lookup(await login(who), phone)).body;
      expect(caller, who).toMatchObject({ name: 'Claire Vasseur', addresses: [{ street: '8 rue de Charonne', doorCode: '7788C', floor: '4e droite' }], notes: [{ kind: 'failed_delivery', note: 'Personne au 4e' }] });
    }

    // once the caller orders from the other shop too, that shop sees what was ordered from it, and only that
    const awayCounter = await login(away.email('counter'));
    await place(awayCounter, {
      pizzeriaId: away.id, fulfilment: 'delivery', customer: { name: 'C. Vasseur', phone },
      address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', doorCode: '1212' },
      items: [{ productId: margherita, quantity: 1 }],
    });
    const { caller } = (await lookup(awayCounter, phone)).body;
    expect(caller).toMatchObject({ name: 'C. Vasseur', orderCount: 2, addresses: [{ street: '5 rue Oberkampf', doorCode: '1212' }], notes: [] });
    expect(caller.addresses).toHaveLength(1);
    expect(caller.orders.map((o: { pizzeriaId: number; address: unknown }) => [o.pizzeriaId, o.address === null])).toEqual([[away.id, false], [home.id, true]]);
    expect(JSON.stringify(caller)).not.toMatch(/Charonne|7788C|Personne/);
  });

  it('writes every lookup to the audit log: who, from which shop, the number masked and keyed (never in clear), found or not', async () => {
    const shop = await createShop(stack.pool, 'caller-audit');
    const counter = await login(shop.email('counter'));
    const phone = freshNumber();
    const digits = phone.replace(/ /g, '');
    await place(counter, { pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Marc Petit', phone }, items: [{ productId: margherita, quantity: 1 }] });
    const stranger = freshNumber();

    expect((await lookup(counter, phone)).status).toBe(200);
    expect((await lookup(counter, `+33 ${digits.slice(1)}`)).status).toBe(200);
    expect((await lookup(counter, stranger)).body).toEqual({ caller: null });
    // a number refused as not whole is no lookup
    expect((await lookup(counter, '06 12')).status).toBe(422);

    const rows = await auditOf(shop.id);
    expect(rows).toHaveLength(3);
    const counterId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('counter')])).rows[0].id;
    for (const r of rows) {
      expect(r).toMatchObject({ actor_id: counterId, actor: expect.stringContaining('(counter)'), action: 'caller.lookup', entity: 'caller', pizzeria_id: shop.id, before: null });
      expect(r.entity_id).toMatch(/^[0-9a-f]{20}$/);
      // neither the number nor its national or international digits, in any field
      const text = JSON.stringify(r);
      for (const n of [digits, digits.slice(1), stranger.replace(/ /g, '').slice(1)]) expect(text).not.toContain(n);
    }
    expect(rows[0].after).toEqual({ phone: `+33 ${digits[1]} •• •• •• ${digits.slice(-2)}`, found: true, orders: 1, addresses: 0 });
    // the same number however typed is the same key, another number another
    expect(rows[1].entity_id).toBe(rows[0].entity_id);
    expect(rows[2].entity_id).not.toBe(rows[0].entity_id);
    expect(rows[2].after).toMatchObject({ found: false, orders: 0 });

    // head office finds the lookups of a number by typing it, any way, as the audit page searches
    for (const typed of [phone, `+33 ${digits.slice(1)}`]) {
      const found = await searchAudit(stack.pool, { text: typed, textIds: callerAuditIds(typed), pizzeriaId: shop.id });
      expect(found.rows.map((r) => r.entityId), typed).toEqual([rows[0].entity_id, rows[0].entity_id]);
    }
    expect((await searchAudit(stack.pool, { text: stranger, textIds: callerAuditIds(stranger), pizzeriaId: shop.id })).total).toBe(1);
  });
});
