import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, useApp } from './harness.ts';
import { Client, addressFor, assignDriver, createShop, handOver, move, seededProduct, userId } from '../helpers.ts';
import { earningsOf } from '../../src/lib/server/staff/driver-pay.ts';
import { businessDayOf, shiftDate } from '../../src/lib/domain/driver-pay.ts';
import { mondayOf } from '../../src/lib/domain/rota.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load

// Drivers' pay in the built app and Chromium: the manager sets the shop's rule on /manager/pay,
// sees tonight's payroll and downloads its CSV; the driver's phone shows tonight's earnings (pay,
// deliveries, km, tips by card and in cash) as the service computes them. Screenshots at the
// manager's desk and on the driver's phone (390×844); axe on both.
const app = useApp('driver-pay');
const north = (m: number) => (m / 6_371_008.8) * (180 / Math.PI);

/** A delivery placed, made, given to the driver and handed over paid in cash, as the phone's taps do through the API. */
async function delivered(shopId: number, kitchen: Client, driver: Client, name: string, quantity: number): Promise<{ id: string; number: number }> {
  const placed = await new Client(app.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'delivery', customer: { name, phone: '0611223399' }, address: addressFor(shopId),
    items: [{ productId: seededProduct('margherita'), quantity }], payment: 'on_delivery',
  });
  expect(placed.status).toBe(201);
  await move(kitchen, placed.body.id, 'preparing');
  await move(kitchen, placed.body.id, 'ready');
  expect((await assignDriver(app.pool, placed.body.id)).assigned).toBe(true);
  await move(driver, placed.body.id, 'out_for_delivery');
  await handOver(app.pool, driver, placed.body.id, 'cash');
  return { id: placed.body.id, number: placed.body.number };
}

/** Tonight: driver1 on shift 2 h 30, two deliveries really made with a 1 km trail each, a card tip and a cash tip. */
async function tonight() {
  const shop = await createShop(app.pool, 'pay-ui');
  const driverId = await userId(app.pool, shop.email('driver1'));
  const driver = await new Client(app.base).login(shop.email('driver1'));
  const kitchen = await new Client(app.base).login(shop.email('kitchen'));
  expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
  const orders: string[] = [];
  for (let i = 0; i < 2; i++) orders.push((await delivered(shop.id, kitchen, driver, 'Rose', 1)).id);
  expect((await driver.post('/api/driver/shift', { onShift: false })).status).toBe(200);
  // the shift began two and a half hours before it ended
  await app.pool.query(`UPDATE clock_ins SET started_at = ended_at - interval '2 hours 30 minutes' WHERE user_id = $1`, [driverId]);
  // one trip after the other (both were handed over a moment apart): 1 km each, the first one's
  // earlier, both driven on the business day of their delivery (a run just after 05:00, Paris, keeps
  // them after the day's start: a trail before it is the day before's kilometres)
  for (const [i, id] of orders.entries()) {
    const { rows } = await app.pool.query<{ delivered_at: Date }>('SELECT delivered_at FROM orders WHERE id = $1', [id]);
    const delivered = rows[0].delivered_at.getTime();
    let dayStart = delivered - 10 * 60_000;
    while (businessDayOf(dayStart) !== businessDayOf(delivered)) dayStart += 1_000;
    const start = Math.max(delivered - (i === 0 ? 8 : 4) * 60_000, dayStart + (i === 0 ? 1 : 181) * 1_000);
    for (let k = 0; k <= 10; k++) {
      await app.pool.query('INSERT INTO delivery_trail (order_id, at, driver_id, lat, lng, accuracy_m) VALUES ($1, $2, $3, $4, 2.35, 8)', [id, new Date(start + k * 15_000), driverId, 48.85 + north(k * 100)]);
    }
  }
  // the tips as the tips service writes them: 2,50 € by card, 3,00 € in cash
  for (const [i, way, cents] of [[0, 'card', 250], [1, 'cash', 300]] as const) {
    const { rows } = await app.pool.query<{ id: string }>(
      `INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents, status, declared_by, settled_at) VALUES ($1, $2, $3, $4, $5, 'paid', $6, now()) RETURNING id`,
      [orders[i], shop.id, way, way === 'cash' ? 'declared' : 'checkout', cents, way === 'cash' ? driverId : null],
    );
    await app.pool.query('INSERT INTO tip_shares (tip_id, driver_id, pizzeria_id, way, amount_cents, earned_at) VALUES ($1, $2, $3, $4, $5, now())', [rows[0].id, driverId, shop.id, way, cents]);
  }
  return { shop, driverId };
}

const cells = (row: import('playwright-core').Locator) => row.locator('th, td').allInnerTexts().then((x) => x.map((s) => s.replace(/\s/g, ' ')));

describe("drivers' pay", () => {
  it("the manager sets the rule, reads tonight's payroll and downloads it; the driver's phone shows tonight's earnings", async () => {
    const { shop, driverId } = await tonight();
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/pay`);
    expect(await page.getByTestId('pay-current').textContent()).toContain('Pas encore de règle');
    const form = page.getByTestId('pay-rule');
    await form.getByLabel('Par heure en service (€)').fill('11,65');
    await form.getByLabel('Par livraison (€)').fill('1,50');
    await form.getByLabel('Par kilomètre (€)').fill('0,30');
    await form.getByRole('button', { name: 'Enregistrer la règle' }).click();
    await expect.poll(() => page.getByTestId('pay-current').textContent(), { timeout: 10_000 }).toMatch(/11,65\s€ l’heure, 1,50\s€ la livraison, 0,30\s€ le kilomètre/);

    // the same figures as the service; by hand (a shift wholly tonight): 2.5 h × 11,65 + 2 × 1,50 + 2 km × 0,30 = 32,725 → 32,73 €
    const today = businessDayOf(Date.now());
    const mine = await earningsOf(app.pool, driverId, today, today);
    // the payroll shows this week: the same as tonight unless the shift began before 05:00, Paris,
    // on the business day before (a run early in the morning)
    const monday = mondayOf(today);
    const week = await earningsOf(app.pool, driverId, monday, shiftDate(monday, 6));
    expect(mine).toMatchObject({ deliveries: 2, km: 2, cardTipsCents: 250, cashTipsCents: 300 });
    if (mine.hours === 2.5) expect(mine.payCents).toBe(3273);
    const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')} €`;

    await page.reload();
    const row = page.getByTestId('payroll').locator(`tr[data-driver="${driverId}"]`);
    expect(await cells(row)).toEqual([
      `driver1 ${shop.slug}`, week.hours.toFixed(2).replace('.', ','), '2', '2,0', '2,50 €', '3,00 €', euros(week.payCents), euros(week.totalCents),
    ]);
    expect(await seriousViolations(page), 'pay page').toEqual([]);
    await page.screenshot({ path: `${SHOTS}/driver-pay-1-manager-desktop.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('pay-csv').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^payroll-${shop.slug}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    const csv = (await readFile((await download.path())!, 'utf8')).replace(/^\uFEFF/, '').split('\r\n');
    expect(csv[0]).toBe('"du";"au";"pizzeria";"livreur";"heures";"livraisons";"km";"pourboires carte";"pourboires espèces";"paie";"paie et pourboires"');
    expect(csv.find((l) => l.includes(`"driver1 ${shop.slug}"`))).toMatch(
      new RegExp(`;"driver1 ${shop.slug}";${week.hours.toFixed(2).replace('.', ',')};2;2,00;2,50;3,00;${(week.payCents / 100).toFixed(2).replace('.', ',')};${(week.totalCents / 100).toFixed(2).replace('.', ',')}$`),
    );

    // a bad period is said on the page, and no CSV is offered for it
    await page.goto(`${app.base}/manager/pay?from=2026-11-08&to=2026-11-01`);
    expect(await page.getByRole('alert').first().textContent()).toContain('La période finit avant de commencer');
    expect(await page.getByTestId('pay-csv').count()).toBe(0);

    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    const earnings = phone.getByTestId('earnings-tonight');
    await earnings.waitFor({ timeout: 10_000 });
    expect((await phone.getByTestId('earnings-tonight-pay').textContent())!.replace(/\s/g, ' ')).toBe(euros(mine.payCents));
    const text = (await earnings.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('Livraisons 2');
    expect(text).toContain('km 2,0');
    expect(text).toContain('Pourboires carte 2,50 €');
    expect(text).toContain('Pourboires espèces 3,00 €');
    expect((await phone.getByTestId('earnings').innerText()).replace(/\s+/g, ' ')).toContain('11,65 €/h · 1,50 €/livraison · 0,30 €/km');
    expect(text).toContain(mine.hours === 2.5 ? 'Heures 2 h 30' : 'Heures');
    expect(await seriousViolations(phone), 'driver page').toEqual([]);
    await phone.screenshot({ path: `${SHOTS}/driver-pay-3-phone-full.png`, fullPage: true });
    await phone.getByTestId('earnings').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/driver-pay-2-phone-earnings.png` });
  });
});

describe("the driver's money, live", () => {
  it('a drop, a card tip and a new pay rule reach the phone over the socket, without a reload', async () => {
    const shop = await createShop(app.pool, 'pay-live');
    const driverId = await userId(app.pool, shop.email('driver1'));
    const driver = await new Client(app.base).login(shop.email('driver1'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const manager = await new Client(app.base).login(shop.email('manager'));
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    const tonight = phone.getByTestId('earnings-tonight');
    await tonight.waitFor({ timeout: 10_000 });
    const said = async () => (await tonight.innerText()).replace(/\s+/g, ' ');
    expect(await said()).toContain('Livraisons 0');
    // the page's own reads from here on are counted: none may be a reload of the page
    let reloads = 0;
    phone.on('framenavigated', (f) => f === phone.mainFrame() && reloads++);

    // a delivery handed over (as the phone's own tap would, through the API)
    const placed = await delivered(shop.id, kitchen, driver, 'Lucie', 2);
    const dropped = Date.now();
    // well before the minute's read: the socket said so
    await expect.poll(said, { timeout: 8_000, interval: 100 }).toContain('Livraisons 1');
    const afterDrop = Date.now() - dropped;
    // the cash tip's form for that delivery, without a reload
    const number = placed.number;
    await expect.poll(() => phone.getByTestId('cash-tip').locator(`li[data-order="${number}"] form`).count(), { timeout: 8_000 }).toBe(1);

    // a card tip paid for it, shared to the driver as the tips service does
    const { rows } = await app.pool.query<{ id: string }>(
      `INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents, status, settled_at) VALUES ($1, $2, 'card', 'after_delivery', 400, 'paid', now()) RETURNING id`,
      [placed.id, shop.id],
    );
    await app.pool.query(`INSERT INTO tip_shares (tip_id, driver_id, pizzeria_id, way, amount_cents, earned_at) VALUES ($1, $2, $3, 'card', 400, now())`, [rows[0].id, driverId, shop.id]);
    await expect.poll(said, { timeout: 8_000, interval: 100 }).toContain('Pourboires carte 4,00 €');
    await expect.poll(() => phone.getByTestId('my-tips-today').innerText(), { timeout: 8_000 }).toMatch(/4,00\s€/);

    // the manager sets the shop's pay rule: the phone shows it and the pay it makes
    expect(await phone.getByTestId('earnings').innerText()).not.toMatch(/2,40\s€\/livraison/);
    expect([200, 201]).toContain((await manager.post(`/api/shops/${shop.id}/pay-rules`, { centsPerHour: 0, centsPerDelivery: 240, centsPerKm: 0 })).status);
    await expect.poll(() => phone.getByTestId('earnings').innerText(), { timeout: 8_000, interval: 100 }).toMatch(/2,40\s€\/livraison/);
    expect((await phone.getByTestId('earnings-tonight-pay').textContent())!.replace(/\s/g, ' ')).toBe('2,40 €');
    expect(reloads, 'the page was never reloaded').toBe(0);
    console.log(`the phone's earnings showed the drop ${afterDrop} ms after its handover answered`);
    await phone.getByTestId('earnings').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/driver-pay-4-phone-live.png` });
  });
});
