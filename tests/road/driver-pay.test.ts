// Drivers' pay on real Postgres and the API: an evening worked last week (clocked in 18:00–22:30,
// seven deliveries really made, a trail of known length, tips by card and in cash as the tips
// service writes them) gives exactly the pay worked out by hand, on the driver's figures and in the
// payroll's JSON and CSV; a rule set today leaves last week's pay as it was and pays today's shift;
// another shop's manager and a driver are refused (403), bad periods too (400), and nothing changes.
import { describe, expect, it } from 'vitest';
import { businessDayOf, shiftDate } from '../../src/lib/domain/driver-pay.ts';
import { mondayOf } from '../../src/lib/domain/rota.ts';
import { earningsOf } from '../../src/lib/server/staff/driver-pay.ts';
import { Client, addressFor, assignDriver, createShop, handOver, move, seededProduct, userId } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ workers: false, env: { LOG_LEVEL: 'error' } });
const margherita = seededProduct('margherita');

/** Metres north, in degrees of latitude (the sphere of src/lib/domain/geo.ts). */
const north = (m: number) => (m / 6_371_008.8) * (180 / Math.PI);

async function paris(date: string, time: string): Promise<Date> {
  const { rows } = await stack.pool.query<{ at: Date }>(`SELECT ($1::date + $2::time)::timestamp AT TIME ZONE 'Europe/Paris' AS at`, [date, time]);
  return rows[0].at;
}

/** An order of the shop taken out and handed over by its driver on shift. */
async function deliverOne(shop: { id: number }, driver: Client, kitchen: Client): Promise<string> {
  const placed = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Rose', phone: '0611223399' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const id = placed.body.id as string;
  await move(kitchen, id, 'preparing');
  await move(kitchen, id, 'ready');
  expect((await assignDriver(stack.pool, id)).assigned).toBe(true);
  await move(driver, id, 'out_for_delivery');
  await handOver(stack.pool, driver, id, 'cash');
  return id;
}

/**
 * Last week's Wednesday: driver1 clocked in 18:00–22:30 (Paris), delivered seven orders (at 18:20,
 * 18:45 …), each trip a straight trail of 15 legs of 100 m (1.5 km; 10.5 km in all) plus a sample
 * too vague and a jump, both left out; a 3 € card tip and a 2 € cash tip for driver1, a 1.50 € one
 * for driver2. The shop's rule since long before: 11.65 €/h + 1.50 €/delivery + 0.30 €/km.
 */
async function lastWednesday(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [driver1Id, driver2Id] = await Promise.all([userId(stack.pool, shop.email('driver1')), userId(stack.pool, shop.email('driver2'))]);
  const driver = await new Client(stack.base).login(shop.email('driver1'));
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const manager = await new Client(stack.base).login(shop.email('manager'));
  const { rows: now } = await stack.pool.query<{ now: Date }>('SELECT now()');
  const today = businessDayOf(now[0].now.getTime());
  const lastMonday = shiftDate(mondayOf(today), -7);
  const wednesday = shiftDate(lastMonday, 2);
  await stack.pool.query(
    'INSERT INTO driver_pay_rules (pizzeria_id, valid_from, cents_per_hour, cents_per_delivery, cents_per_km) VALUES ($1, $2, 1165, 150, 30)',
    [shop.id, shiftDate(lastMonday, -30)],
  );

  expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
  const orders: string[] = [];
  for (let i = 0; i < 7; i++) orders.push(await deliverOne(shop, driver, kitchen));
  expect((await driver.post('/api/driver/shift', { onShift: false })).status).toBe(200);
  // the evening as it was last week: its clock-in, the deliveries' times, their trails
  await stack.pool.query('DELETE FROM clock_ins WHERE user_id = $1', [driver1Id]);
  await stack.pool.query('INSERT INTO clock_ins (user_id, pizzeria_id, role, started_at, ended_at) VALUES ($1, $2, $3, $4, $5)', [
    driver1Id, shop.id, 'driver', await paris(wednesday, '18:00'), await paris(wednesday, '22:30'),
  ]);
  const first = (await paris(wednesday, '18:20')).getTime();
  for (const [i, id] of orders.entries()) {
    const deliveredAt = first + i * 25 * 60_000;
    await stack.pool.query('UPDATE orders SET delivered_at = $2, version = version + 1 WHERE id = $1', [id, new Date(deliveredAt)]);
    const start = deliveredAt - 15 * 15_000;
    for (let k = 0; k <= 15; k++) {
      await stack.pool.query('INSERT INTO delivery_trail (order_id, at, driver_id, lat, lng, accuracy_m) VALUES ($1, $2, $3, $4, 2.35, 8)', [
        id, new Date(start + k * 15_000), driver1Id, 48.85 + north(k * 100),
      ]);
    }
    // a fix 250 m unsure, and a jump of 3 km in 5 s: neither is driving
    await stack.pool.query('INSERT INTO delivery_trail (order_id, at, driver_id, lat, lng, accuracy_m) VALUES ($1, $2, $3, $4, 2.35, 250), ($1, $5, $3, $6, 2.35, 5)', [
      id, new Date(start + 7_000), driver1Id, 48.85 + north(900), new Date(start + 20_000), 48.85 + north(3_100),
    ]);
  }
  // the tips, as the tips service writes them once paid and delivered
  const tip = async (orderId: string, way: 'card' | 'cash', cents: number, shares: [number, number][]) => {
    const { rows } = await stack.pool.query<{ id: string }>(
      `INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents, status, declared_by, settled_at)
       VALUES ($1, $2, $3, $4, $5, 'paid', $6, now()) RETURNING id`,
      [orderId, shop.id, way, way === 'cash' ? 'declared' : 'checkout', cents, way === 'cash' ? driver1Id : null],
    );
    for (const [driverId, share] of shares) {
      await stack.pool.query('INSERT INTO tip_shares (tip_id, driver_id, pizzeria_id, way, amount_cents, earned_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        rows[0].id, driverId, shop.id, way, share, new Date(first + 60 * 60_000),
      ]);
    }
  };
  await tip(orders[0], 'card', 300, [[driver1Id, 300]]);
  await tip(orders[1], 'cash', 200, [[driver1Id, 200]]);
  await tip(orders[2], 'card', 150, [[driver2Id, 150]]);
  return { shop, driver1Id, driver2Id, driver, manager, today, lastMonday, wednesday };
}

// By hand: 4.5 h × 11.65 € = 52.425 €; 7 × 1.50 € = 10.50 €; 10.5 km × 0.30 € = 3.15 €;
// 66.075 € → 66.08 € (rounded once). With the tips: 66.08 + 3.00 + 2.00 = 71.08 €.
const HAND = { hours: 4.5, deliveries: 7, km: 10.5, payCents: 6608, cardTipsCents: 300, cashTipsCents: 200, totalCents: 7108 };

describe("a driver's pay", () => {
  it('an evening of 4.5 hours, 7 deliveries and 10.5 km pays exactly what the hand computes, tips card and cash apart, in the payroll and its CSV', async () => {
    const { shop, driver1Id, manager, lastMonday, wednesday } = await lastWednesday('pay-hand');
    expect(await earningsOf(stack.pool, driver1Id, wednesday, wednesday)).toMatchObject({ ...HAND, workedMs: 4.5 * 3_600_000, metres: 10_500 });

    const lastSunday = shiftDate(lastMonday, 6);
    const json = await manager.get(`/api/shops/${shop.id}/payroll?from=${lastMonday}&to=${lastSunday}`);
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    const [d1, d2] = json.body.rows;
    expect(d1).toMatchObject({ driverId: driver1Id, name: expect.stringContaining('driver1'), ...HAND });
    expect(d2).toMatchObject({ deliveries: 0, hours: 0, km: 0, payCents: 0, cardTipsCents: 150, cashTipsCents: 0, totalCents: 150 });

    const fr = await fetch(`${stack.base}/api/shops/${shop.id}/payroll.csv?from=${lastMonday}&to=${lastSunday}&lang=fr`, { headers: { cookie: manager.cookie } });
    expect(fr.headers.get('content-type')).toContain('text/csv');
    expect(fr.headers.get('content-disposition')).toContain(`payroll-${shop.slug}-${lastMonday}-${lastSunday}.csv`);
    const frText = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await fr.arrayBuffer());
    expect(frText.startsWith('\uFEFF"du";"au";"pizzeria";"livreur";"heures";"livraisons";"km";"pourboires carte";"pourboires espèces";"paie";"paie et pourboires"\r\n')).toBe(true);
    const frLines = frText.slice(1).split('\r\n');
    expect(frLines[1]).toBe(`${lastMonday};${lastSunday};"OC Pizza ${shop.slug}";"driver1 ${shop.slug}";4,50;7;10,50;3,00;2,00;66,08;71,08`);
    expect(frLines[2]).toBe(`${lastMonday};${lastSunday};"OC Pizza ${shop.slug}";"driver2 ${shop.slug}";0,00;0;0,00;1,50;0,00;0,00;1,50`);
    expect(frLines.at(-1)).toBe('');

    const en = await manager.get(`/api/shops/${shop.id}/payroll.csv?from=${lastMonday}&to=${lastSunday}&lang=en`);
    expect(String(en.body).split('\r\n')[1]).toBe(`${lastMonday},${lastSunday},"OC Pizza ${shop.slug}","driver1 ${shop.slug}",4.50,7,10.50,3.00,2.00,66.08,71.08`);
  });

  it('a rule set today leaves last week as it was and pays today by the new one; a day already past is refused; the change is audited', async () => {
    const { shop, driver1Id, driver, manager, today, wednesday } = await lastWednesday('pay-change');
    const set = await manager.post(`/api/shops/${shop.id}/pay-rules`, { centsPerHour: 2000, centsPerDelivery: 0, centsPerKm: 0 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ validFrom: today, centsPerHour: 2000, setBy: expect.stringContaining('manager') });
    const past = await manager.post(`/api/shops/${shop.id}/pay-rules`, { validFrom: shiftDate(today, -1), centsPerHour: 1, centsPerDelivery: 0, centsPerKm: 0 });
    expect([past.status, past.body.error.code]).toEqual([422, 'pay_rule_past']);
    expect(await earningsOf(stack.pool, driver1Id, wednesday, wednesday)).toMatchObject(HAND);

    // half an hour on shift today, ended a minute ago: paid by the rule of the day it started
    const { rows } = await stack.pool.query<{ started_at: Date }>(
      `INSERT INTO clock_ins (user_id, pizzeria_id, role, started_at, ended_at) VALUES ($1, $2, 'driver', now() - interval '31 minutes', now() - interval '1 minute') RETURNING started_at`,
      [driver1Id, shop.id],
    );
    const startedAt = rows[0].started_at.getTime();
    const rate = businessDayOf(startedAt) === today ? 2000 : 1165;
    // tonight counts what lies inside the business day: all of it, unless the shift began before
    // 05:00, Paris (a run between 05:01 and 05:31), when only the part from 05:00 counts
    const dayStart = (await paris(today, '05:00')).getTime();
    const workedMs = startedAt + 30 * 60_000 - Math.max(startedAt, dayStart);
    const mine = await driver.get('/api/driver/earnings');
    expect(mine.status).toBe(200);
    expect(mine.body.tonight).toMatchObject({ from: today, to: today, deliveries: 0 });
    expect(mine.body.tonight.hours).toBe(Math.round(workedMs / 36_000) / 100);
    expect(Math.abs(mine.body.tonight.payCents - (workedMs / 3_600_000) * rate)).toBeLessThanOrEqual(0.5);
    expect(mine.body.rule).toEqual({ centsPerHour: 2000, centsPerDelivery: 0, centsPerKm: 0 });

    const { rows: audits } = await stack.pool.query(`SELECT before, after FROM audit_log WHERE action = 'pay.rule' AND pizzeria_id = $1`, [shop.id]);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ before: null, after: { validFrom: today, centsPerHour: 2000 } });
  });

  it("another shop's manager and a driver are refused (403), bad periods get 400, and nothing changes", async () => {
    const a = await createShop(stack.pool, 'pay-a');
    const b = await createShop(stack.pool, 'pay-b');
    const other = await new Client(stack.base).login(b.email('manager'));
    const driver = await new Client(stack.base).login(a.email('driver1'));
    const mine = await new Client(stack.base).login(a.email('manager'));
    const period = 'from=2026-11-02&to=2026-11-08';
    for (const who of [other, driver]) {
      expect((await who.get(`/api/shops/${a.id}/payroll?${period}`)).status).toBe(403);
      expect((await who.get(`/api/shops/${a.id}/payroll.csv?${period}`)).status).toBe(403);
      expect((await who.get(`/api/shops/${a.id}/pay-rules`)).status).toBe(403);
      expect((await who.post(`/api/shops/${a.id}/pay-rules`, { centsPerHour: 9999, centsPerDelivery: 0, centsPerKm: 0 })).status).toBe(403);
    }
    expect((await mine.get(`/api/shops/${a.id}/pay-rules`)).body).toMatchObject({ rules: [], current: null });
    expect((await other.get(`/api/shops/${a.id}/payroll?from=2026-11-02&to=2026-11-01`)).status).toBe(403);

    const bad = async (query: string) => {
      const r = await mine.get(`/api/shops/${a.id}/payroll.csv?${query}`);
      return [r.status, r.body?.error?.code];
    };
    expect(await bad('from=2026-11-08&to=2026-11-02')).toEqual([400, 'period_reversed']);
    expect(await bad('from=2026-01-01&to=2026-04-03')).toEqual([400, 'period_too_long']);
    expect(await bad('from=2026-02-30&to=2026-03-01')).toEqual([400, 'period_bad_date']);
    expect(await bad('from=yesterday&to=2026-03-01')).toEqual([400, 'period_bad_date']);
    expect((await mine.get(`/api/shops/${a.id}/payroll?to=2026-03-01`)).status).toBe(422);
    expect(await bad('from=2026-01-01&to=2026-04-02')).toEqual([200, undefined]);
    expect((await mine.post(`/api/shops/${a.id}/pay-rules`, { centsPerHour: 10_001, centsPerDelivery: 0, centsPerKm: 0 })).status).toBe(422);
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM driver_pay_rules WHERE pizzeria_id = $1', [a.id]);
    expect(rows[0].n).toBe(0);
  });

  it("head office reads and sets any shop's; a name that starts like a formula is defused in the CSV", async () => {
    const shop = await createShop(stack.pool, 'pay-hq');
    await stack.pool.query('UPDATE users SET name = $2 WHERE email = $1', [shop.email('driver2'), '=HYPERLINK("http://x")']);
    const hq = await new Client(stack.base).login('admin@ocpizza.test');
    const set = await hq.post(`/api/shops/${shop.id}/pay-rules`, { centsPerHour: 1200, centsPerDelivery: 100, centsPerKm: 25 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect((await hq.get(`/api/shops/${shop.id}/pay-rules`)).body.current).toMatchObject({ centsPerHour: 1200, centsPerDelivery: 100, centsPerKm: 25 });
    const csv = await hq.get(`/api/shops/${shop.id}/payroll.csv?from=2026-11-02&to=2026-11-08&lang=fr`);
    expect(csv.status).toBe(200);
    expect(String(csv.body)).toContain(';"\'=HYPERLINK(""http://x"")";0,00;0;0,00;');
  });
});
