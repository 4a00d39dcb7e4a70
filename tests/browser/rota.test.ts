import { describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, useApp } from './harness.ts';
import { createShop } from '../helpers.ts';
import { addDays, mondayOf } from '../../src/lib/domain/rota.ts';
import { addShift } from '../../src/lib/server/staff/rota.ts';
import type { StaffActor } from '../../src/lib/server/kernel/actors.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// The rota in the built app and Chromium: a manager plans next week on the calendar (a shift added
// by the form, one that would overlap refused and said so, last week copied), and the driver sees
// their coming shift on their phone. Screenshots at the manager's desk and on the driver's phone.
const app = useApp('rota');

const todayParis = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());

async function actor(email: string): Promise<StaffActor> {
  const { rows } = await app.pool.query('SELECT id, role, pizzeria_id, name FROM users WHERE email = $1', [email]);
  return { kind: 'staff', id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
}

describe('the rota page', () => {
  it('a manager adds a shift to next week, is told of an overlap, copies last week; the driver sees it on the phone', async () => {
    const shop = await createShop(app.pool, 'rota-ui');
    const manager = await actor(shop.email('manager'));
    const kitchen = await actor(shop.email('kitchen'));
    const driver = await actor(shop.email('driver1'));
    const thisMonday = mondayOf(todayParis());
    const nextMonday = addDays(thisMonday, 7);
    // this week the pizzaiolo works Saturday evening (Sunday when the test runs on a Saturday: a
    // shift of today's evening would be planned in the hour the speed page counts below): copied onto next week
    const copiedDay = addDays(thisMonday, 5) === todayParis() ? 6 : 5;
    await addShift(app.pool, manager, { pizzeriaId: shop.id, userId: kitchen.id, date: addDays(thisMonday, copiedDay), start: '17:30', end: '23:00' });

    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/rota?week=${nextMonday}`);
    const friday = page.locator(`section.day[data-date="${addDays(nextMonday, 4)}"]`);
    expect(await friday.textContent()).toContain('Personne de prévu');

    const form = page.getByTestId('rota-add');
    await form.locator('select[name=userId]').selectOption(String(driver.id));
    await form.locator('select[name=date]').selectOption(addDays(nextMonday, 4));
    await form.locator('select[name=start]').selectOption('18:00');
    await form.locator('select[name=end]').selectOption('22:30');
    await form.getByRole('button', { name: 'Ajouter le créneau' }).click();
    await expect.poll(() => friday.textContent(), { timeout: 10_000 }).toContain('18:00–22:30');
    expect(await friday.textContent()).toContain(driver.name);

    // the same driver again at 21:00 the same evening: refused, said, nothing added
    await form.locator('select[name=start]').selectOption('21:00');
    await form.locator('select[name=end]').selectOption('23:30');
    await form.getByRole('button', { name: 'Ajouter le créneau' }).click();
    await expect.poll(() => form.getByRole('alert').first().textContent().catch(() => ''), { timeout: 10_000 }).toContain('déjà un créneau');
    expect(await friday.locator('li.shift').count()).toBe(1);

    await page.getByTestId('rota-copy').getByRole('button', { name: 'Copier la semaine dernière' }).click();
    await expect.poll(() => page.getByTestId('rota-copy').getByRole('status').textContent().catch(() => ''), { timeout: 10_000 }).toContain('1 créneau copié');
    const copiedTo = page.locator(`section.day[data-date="${addDays(nextMonday, copiedDay)}"]`);
    expect(await copiedTo.textContent()).toContain('17:30–23:00');
    expect(await copiedTo.textContent()).toContain(kitchen.name);

    // the pizzaiolo's hour costs 16,50 €
    const kitchenRate = page.locator('form.rate').filter({ has: page.locator('input[name=role][value=kitchen]') });
    await kitchenRate.locator('input[name=euros]').fill('16,50');
    await kitchenRate.getByRole('button', { name: 'Enregistrer' }).click();
    await expect.poll(() => page.getByText('Enregistré ✓').count(), { timeout: 10_000 }).toBe(1);

    expect(await seriousViolations(page), 'rota page').toEqual([]);
    await page.screenshot({ path: `${SHOTS}/rota-1-week-desktop.png`, fullPage: true });

    // the driver's phone, off shift, lists the coming shift
    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    const mine = phone.getByTestId('my-shifts');
    await mine.waitFor({ timeout: 10_000 });
    expect(await mine.textContent()).toContain('18:00–22:30');
    expect(await seriousViolations(phone), 'driver page').toEqual([]);
    await phone.screenshot({ path: `${SHOTS}/rota-2-driver-shifts-phone.png`, fullPage: true });

    // the pizzaiolo's own page: the copied shift and the clock
    const { page: cook } = await app.staffPage(shop.email('kitchen'), PHONE);
    await cook.goto(`${app.base}/shifts`);
    expect(await cook.getByTestId('my-shifts').textContent()).toContain('17:30–23:00');
    await cook.getByRole('button', { name: 'Pointer l’arrivée' }).click();
    await expect.poll(() => cook.getByTestId('clock').textContent(), { timeout: 10_000 }).toContain('Pointé depuis');
    expect(await seriousViolations(cook), 'my shifts page').toEqual([]);
    await cook.screenshot({ path: `${SHOTS}/rota-3-kitchen-shifts-phone.png`, fullPage: true });

    // the speed page: the counter and a driver were planned this hour; only the pizzaiolo (unplanned) clocked in
    const counter = await actor(shop.email('counter'));
    const around = (ms: number) => {
      const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
      return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, hour: Number(p.hour) };
    };
    const from = around(Date.now() - 3_600_000);
    const to = around(Date.now() + 3_600_000);
    await addShift(app.pool, manager, { pizzeriaId: shop.id, userId: counter.id, date: from.date, start: from.time, end: to.time });
    await addShift(app.pool, manager, { pizzeriaId: shop.id, userId: driver.id, date: from.date, start: from.time, end: to.time });
    await page.goto(`${app.base}/manager/speed`);
    const staffing = page.getByTestId('staffing');
    const row = staffing.locator(`tr[data-hour="${around(Date.now()).hour}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect((await row.locator('td').allTextContents()).map((x) => x.trim())).toEqual(['2', '1\u00a0(manque 1)']);
    expect(await staffing.getByTestId('labour-actual').textContent()).toMatch(/€/);
    expect(await seriousViolations(page), 'speed page').toEqual([]);
    await staffing.screenshot({ path: `${SHOTS}/rota-4-speed-staffing-desktop.png` });
  });

  it('in a browser set to English, the shift times are still written on 24 hours: 18:00, never 6:00 PM', async () => {
    const shop = await createShop(app.pool, 'rota-en');
    const manager = await actor(shop.email('manager'));
    const driver = await actor(shop.email('driver1'));
    const nextMonday = addDays(mondayOf(todayParis()), 7);
    await addShift(app.pool, manager, { pizzeriaId: shop.id, userId: driver.id, date: addDays(nextMonday, 2), start: '18:10', end: '23:00' });
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP, { locale: 'en-US' });
    expect(await page.evaluate(() => navigator.language)).toBe('en-US');
    expect(await page.evaluate(() => new Date(2026, 0, 1, 18).toLocaleTimeString())).toMatch(/PM/);
    await page.goto(`${app.base}/manager/rota?week=${nextMonday}`);
    // no time input anywhere (it would follow the browser's language): a choice of times on 24 hours
    expect(await page.locator('input[type=time]').count()).toBe(0);
    const form = page.getByTestId('rota-add');
    const start = form.locator('select[name=start]');
    expect(await start.locator('option:checked').textContent()).toBe('18:00');
    const times = await start.locator('option').allTextContents();
    expect(times).toHaveLength(96);
    expect([times[0], times[1], times[72], times[95]]).toEqual(['00:00', '00:15', '18:00', '23:45']);
    expect(times.join(' ')).not.toMatch(/AM|PM/);
    // a shift kept at 18:10 keeps its time when it is changed
    const shift = page.locator('li.shift').first();
    await shift.getByRole('button', { name: /^(Modifier|Change)/ }).click();
    const kept = shift.locator('select[name=start]');
    expect(await kept.locator('option:checked').textContent()).toBe('18:10');
    await shift.locator('select[name=end]').selectOption('23:30');
    await shift.getByRole('button', { name: /^(Enregistrer|Save)$/ }).click();
    await expect.poll(() => shift.locator('.when').textContent(), { timeout: 10_000 }).toContain('18:10–23:30');
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/rota-5-english-browser-24h-desktop.png` });
    expect(await seriousViolations(page), 'rota page in English').toEqual([]);
  });
});
