// The rota on real Postgres, Redis and the API: a manager plans their shop's week (add, change,
// remove, copy last week), one person never on two shifts at once, another shop's manager refused;
// the crew clock in and out (a driver by going on shift); and the drivers a rota plans for next
// Friday are what that Friday's slots count on, and no other day's.
import { describe, expect, it } from 'vitest';
import { DRIVER_HORIZON_MINUTES } from '../../src/lib/domain/driver-capacity.ts';
import { addDays, mondayOf } from '../../src/lib/domain/rota.ts';
import type { StaffActor } from '../../src/lib/server/kernel/actors.ts';
import { addShift, changeShift, copyLastWeek, removeShift, shiftsOfWeek } from '../../src/lib/server/staff/rota.ts';
import { clockIn, clockOut, myShifts, staffingOfDay } from '../../src/lib/server/staff/clock-ins.ts';
import { Client, createShop, customer, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ workers: false, env: { LOG_LEVEL: 'error' } });

async function person(email: string): Promise<StaffActor> {
  const { rows } = await stack.pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [email]);
  return { kind: 'staff', id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
}

const paris = (ms: number) => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
};
const todayParis = () => paris(Date.now()).date;

async function shopWithCrew(tag: string) {
  const shop = await createShop(stack.pool, tag);
  await stack.pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 5000 WHERE id = $1', [shop.id]);
  const [manager, kitchen, counter, driver1, driver2] = await Promise.all(['manager', 'kitchen', 'counter', 'driver1', 'driver2'].map((w) => person(shop.email(w as never))));
  return { shop, manager, kitchen, counter, driver1, driver2 };
}

describe('planning the week', () => {
  it('a manager adds, changes and removes shifts; a second shift at the same time for the same person is refused with 409 and nothing changes', async () => {
    const { shop, manager, kitchen, driver1 } = await shopWithCrew('rota-crud');
    const monday = mondayOf(addDays(todayParis(), 7));
    const friday = addDays(monday, 4);
    const s = await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: friday, start: '18:00', end: '22:30' });
    expect(s).toMatchObject({ role: 'driver', date: friday, start: '18:00', end: '22:30' });
    // a shift past midnight ends the next morning
    const late = await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: kitchen.id, date: friday, start: '19:00', end: '01:00' });
    expect(Date.parse(late.endsAt) - Date.parse(late.startsAt)).toBe(6 * 3_600_000);

    const clash = addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: friday, start: '22:00', end: '23:30' });
    await expect(clash).rejects.toMatchObject({ status: 409, code: 'shift_overlap' });
    await expect(addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: friday, start: '08:00', end: '01:00' })).rejects.toMatchObject({ status: 422 });
    expect((await shiftsOfWeek(stack.pool, shop.id, monday)).length).toBe(2);

    // back to back is fine; moving the first onto it is not
    const after = await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: friday, start: '22:30', end: '23:30' });
    await expect(changeShift(stack.pool, manager, s.id, { userId: driver1.id, date: friday, start: '18:00', end: '23:00' })).rejects.toMatchObject({ status: 409 });
    const changed = await changeShift(stack.pool, manager, s.id, { userId: driver1.id, date: friday, start: '17:00', end: '22:00' });
    expect(changed).toMatchObject({ start: '17:00', end: '22:00' });

    await removeShift(stack.pool, manager, after.id);
    expect((await shiftsOfWeek(stack.pool, shop.id, monday)).map((x) => [x.name, x.start, x.end])).toEqual([
      [driver1.name, '17:00', '22:00'],
      [kitchen.name, '19:00', '01:00'],
    ]);
  });

  it("another shop's manager may neither read nor change a shop's rota, nor put its crew on theirs", async () => {
    const a = await shopWithCrew('rota-a');
    const b = await shopWithCrew('rota-b');
    const day = addDays(todayParis(), 3);
    const s = await addShift(stack.pool, a.manager, { pizzeriaId: a.shop.id, userId: a.driver1.id, date: day, start: '18:00', end: '22:00' });
    await expect(addShift(stack.pool, b.manager, { pizzeriaId: a.shop.id, userId: a.driver2.id, date: day, start: '18:00', end: '22:00' })).rejects.toMatchObject({ status: 403 });
    await expect(removeShift(stack.pool, b.manager, s.id)).rejects.toMatchObject({ status: 403 });
    await expect(changeShift(stack.pool, b.manager, s.id, { userId: a.driver1.id, date: day, start: '19:00', end: '22:00' })).rejects.toMatchObject({ status: 403 });
    await expect(addShift(stack.pool, b.manager, { pizzeriaId: b.shop.id, userId: a.driver2.id, date: day, start: '18:00', end: '22:00' })).rejects.toMatchObject({ status: 422 });
    await expect(addShift(stack.pool, a.kitchen, { pizzeriaId: a.shop.id, userId: a.driver2.id, date: day, start: '18:00', end: '22:00' })).rejects.toMatchObject({ status: 403 });
    expect((await shiftsOfWeek(stack.pool, a.shop.id, mondayOf(day))).map((x) => x.id)).toEqual([s.id]);
  });

  it('copy last week puts each shift seven days on, and leaves out one that would clash', async () => {
    const { shop, manager, kitchen, counter, driver1 } = await shopWithCrew('rota-copy');
    const lastMonday = mondayOf(addDays(todayParis(), 7));
    const monday = addDays(lastMonday, 7);
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: addDays(lastMonday, 4), start: '18:00', end: '22:00' });
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: kitchen.id, date: addDays(lastMonday, 5), start: '17:00', end: '23:00' });
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: counter.id, date: addDays(lastMonday, 6), start: '11:00', end: '15:00' });
    // the counter already works the Sunday of the new week
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: counter.id, date: addDays(monday, 6), start: '12:00', end: '16:00' });

    expect(await copyLastWeek(stack.pool, manager, shop.id, monday)).toEqual({ copied: 2, clashes: 1 });
    expect((await shiftsOfWeek(stack.pool, shop.id, monday)).map((x) => [x.date, x.name, x.start, x.end])).toEqual([
      [addDays(monday, 4), driver1.name, '18:00', '22:00'],
      [addDays(monday, 5), kitchen.name, '17:00', '23:00'],
      [addDays(monday, 6), counter.name, '12:00', '16:00'],
    ]);
    // copying again adds nothing: every shift would clash with its copy
    expect(await copyLastWeek(stack.pool, manager, shop.id, monday)).toEqual({ copied: 0, clashes: 3 });
  });
});

describe('clocking in and out', () => {
  it("a driver's on-shift switch is their clock-in; the kitchen clocks in by its button; the day shows planned against actual", async () => {
    const { shop, manager, kitchen, driver1 } = await shopWithCrew('rota-clock');
    const now = Date.now();
    // a shift around now for the driver and the pizzaiolo
    const from = paris(now - 3_600_000);
    const to = paris(now + 3_600_000);
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: driver1.id, date: from.date, start: from.time, end: to.time });
    await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: kitchen.id, date: from.date, start: from.time, end: to.time });
    expect((await myShifts(stack.pool, driver1.id)).shifts.map((s) => s.start)).toEqual([from.time]);

    const phone = await new Client(stack.base).login(shop.email('driver1'));
    expect((await phone.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const clocked = await clockIn(stack.pool, kitchen);
    expect(Math.abs(Date.parse(clocked.startedAt) - Date.now())).toBeLessThan(10_000);
    expect((await myShifts(stack.pool, driver1.id)).clockedIn).not.toBeNull();
    // a manager does not clock in; a driver does by the switch, not the button
    await expect(clockIn(stack.pool, manager)).rejects.toMatchObject({ status: 403 });
    await expect(clockIn(stack.pool, driver1)).rejects.toMatchObject({ status: 403 });

    const day = await staffingOfDay(stack.pool, manager, shop.id, paris(now).date);
    const hourNow = Number(paris(now).time.slice(0, 2));
    expect(day.hours.find((h) => h.hour === hourNow)).toEqual({ hour: hourNow, planned: 2, actual: 2 });

    expect((await phone.post('/api/driver/shift', { onShift: false })).status).toBe(200);
    const out = await clockOut(stack.pool, kitchen);
    await expect(clockOut(stack.pool, kitchen)).rejects.toMatchObject({ status: 409 });
    const { rows } = await stack.pool.query('SELECT user_id, role, started_at, ended_at FROM clock_ins WHERE pizzeria_id = $1 ORDER BY role', [shop.id]);
    // each clock-in lies within the shift planned around it, and ended when they went off
    expect(rows.map((r) => r.role)).toEqual(['kitchen', 'driver']);
    for (const r of rows) {
      expect(r.ended_at).not.toBeNull();
      expect(r.started_at.getTime()).toBeGreaterThan(now - 3_600_000);
      expect(r.ended_at.getTime()).toBeLessThan(now + 3_600_000);
    }
    expect(out.endedAt).not.toBeNull();
  });

  it("labour costs each role's hours as a share of the day's sales before VAT", async () => {
    const { shop, manager, kitchen } = await shopWithCrew('rota-cost');
    const now = Date.now();
    await stack.pool.query(`INSERT INTO labour_rates (pizzeria_id, role, cents_per_hour) VALUES ($1, 'kitchen', 1800)`, [shop.id]);
    // two hours worked today, written as the clock would have
    await stack.pool.query(`INSERT INTO clock_ins (user_id, pizzeria_id, role, started_at, ended_at) VALUES ($1, $2, 'kitchen', $3, $4)`, [kitchen.id, shop.id, new Date(now - 7_200_000), new Date(now)]);
    const day = await staffingOfDay(stack.pool, manager, shop.id, paris(now - 3_600_000).date);
    // both hours fall on today in Paris unless the test runs just after midnight
    if (paris(now - 7_200_000).date === paris(now).date) expect(day.actualCents).toBe(3600);
    expect(day.plannedCents).toBe(0);
    // no sale yet today at this new shop: no share
    expect(day.salesExVatCents).toBe(0);
    expect(day.labourShare).toBeNull();
  });
});

interface Slots { slots: { start: string; freeDeliveries: number | null }[] }
const slotsOf = async (shop: number): Promise<Slots> => (await new Client(stack.base).get(`/api/pizzerias/${shop}/slots?fulfilment=delivery&pizzas=1`)).body;
const door = { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 };
const deliveryFor = (shop: number, slot: string) =>
  new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop, fulfilment: 'delivery', customer, payment: 'on_delivery', slot, address: door,
    items: [{ productId: seededProduct('margherita'), quantity: 1 }],
  });

describe("the rota's drivers pace the slots of the day they are planned for", () => {
  it("three drivers on next Friday's rota take three deliveries a slot that Friday, and no other day changes", async () => {
    const { shop, manager, driver1, driver2 } = await shopWithCrew('rota-friday');
    const third = await person(shop.email('counter'));
    await stack.pool.query(`UPDATE users SET role = 'driver' WHERE id = $1`, [third.id]);
    const horizon = Date.now() + (DRIVER_HORIZON_MINUTES + 60) * 60_000;
    const before = await slotsOf(shop.id);
    // nobody on shift nor on the rota: no slot counts drivers
    expect(before.slots.every((s) => s.freeDeliveries === null)).toBe(true);
    // next Friday (after today), a slot far past tonight's horizon
    const isFriday = (ms: number) => new Date(`${paris(ms).date}T12:00:00Z`).getUTCDay() === 5;
    const friday = before.slots.find((s) => Date.parse(s.start) > horizon && isFriday(Date.parse(s.start)) && paris(Date.parse(s.start)).date !== todayParis())!;
    const other = before.slots.find((s) => Date.parse(s.start) > horizon && !isFriday(Date.parse(s.start)))!;
    expect(friday, 'a Friday slot within the week').toBeDefined();

    const start = paris(Date.parse(friday.start) - 3_600_000);
    const end = paris(Date.parse(friday.start) + 3_600_000);
    for (const d of [driver1, driver2, third]) {
      await addShift(stack.pool, manager, { pizzeriaId: shop.id, userId: d.id, role: 'driver', date: start.date, start: start.time, end: end.time });
    }
    const planned = await slotsOf(shop.id);
    // three drivers on a 24.7-minute round trip carrying two: three deliveries a quarter of an hour
    expect(planned.slots.find((s) => s.start === friday.start)?.freeDeliveries).toBe(3);
    // only the slots the shifts cover count drivers
    const counted = planned.slots.filter((s) => s.freeDeliveries !== null);
    const S = Date.parse(friday.start);
    expect(counted.map((s) => s.start)).toEqual(Array.from({ length: 8 }, (_, i) => new Date(S - 3_600_000 + i * 15 * 60_000).toISOString()));

    for (let i = 0; i < 3; i++) expect((await deliveryFor(shop.id, friday.start)).status).toBe(201);
    for (let i = 0; i < 4; i++) expect((await deliveryFor(shop.id, other.start)).status).toBe(201);
    const full = await slotsOf(shop.id);
    expect(full.slots.map((s) => s.start)).not.toContain(friday.start);
    expect(full.slots.find((s) => s.start === other.start)?.freeDeliveries).toBeNull();
    const refused = await deliveryFor(shop.id, friday.start);
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error.code).toBe('slot_full');
  });
});
