import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, useApp } from './harness.ts';
import { seededProduct, Client, createShop, move } from '../helpers.ts';
import { bringDayUpToDate, closeDaysUpTo } from '../../src/lib/server/fiscal/closings.ts';
import { fiscalKey } from '../../src/lib/server/fiscal/keys.ts';

// The closings page (clôtures) in the built app and Chromium: a shop whose day before yesterday the
// workers' nightly run closed (one order), a day that is over and not closed (two orders paid at the
// counter, moved to yesterday) and today's order; the manager reaches "Journal fiscal" from the
// menu, sees the nightly closing said "clôture automatique", yesterday to close and today running,
// closes yesterday, and finds its closing in the list with its totals, perpetual totals and their
// own name and role; screenshots at 1440×900 and 1024×768.
const app = useApp('fiscal-closings');

describe('the closings page', () => {
  it('the manager closes the day that is over and reads its closing, its totals and the day in progress', async () => {
    const shop = await createShop(app.pool, 'closings-ui');
    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const [margherita, peroni] = [seededProduct('margherita'), seededProduct('peroni')];
    const sell = async (items: { productId: number; quantity: number }[], paymentMethod: 'cash' | 'card', daysBack = 0) => {
      const placed = await counter.post('/api/orders', {
        pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Noé', phone: '0611223377' }, items, payment: 'on_delivery',
      });
      // an order of the day before: its business day moved back before it is sold (and so journaled)
      if (daysBack) await app.pool.query(`UPDATE orders SET business_day = business_day - $2::int, version = version + 1 WHERE id = $1`, [placed.body.id, daysBack]);
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      expect((await counter.post(`/api/orders/${placed.body.id}/status`, { to: 'collected', paymentMethod })).status).toBe(200);
      return placed.body.id as string;
    };
    // the day before yesterday: 10,50 cash, closed by the workers' nightly run (operator `system`),
    // signed with the install's key as the app's own processes sign
    await sell([{ productId: margherita, quantity: 1 }], 'cash', 2);
    const key = fiscalKey({ NODE_ENV: 'test', FISCAL_SIGNING_KEY: undefined, FISCAL_KEY_FILE: undefined });
    const { rows: [{ day: dayBefore }] } = await app.pool.query(`SELECT ((now() AT TIME ZONE 'Europe/Paris')::date - 2)::text AS day`);
    await bringDayUpToDate(app.pool, key, [shop.id], dayBefore);
    expect((await closeDaysUpTo(app.pool, key, shop.id, dayBefore, { operator: 'system', yearStartMonth: 1 })).written.length).toBeGreaterThan(0);
    // yesterday's two orders: 21,00 cash, 14,50 card
    await sell([{ productId: margherita, quantity: 2 }], 'cash', 1);
    await sell([{ productId: margherita, quantity: 1 }, { productId: peroni, quantity: 1 }], 'card', 1);
    // today's: 10,50 cash
    await sell([{ productId: margherita, quantity: 1 }], 'cash');

    const { page } = await app.staffPage(shop.email('manager'), { width: 1440, height: 900 });
    await page.goto(`${app.base}/manager`);
    await page.getByRole('link', { name: 'Journal fiscal' }).click();
    await page.waitForURL(`${app.base}/manager/fiscal`);
    const text = async (selector: string) => (await page.locator(selector).first().textContent())?.replace(/\s/g, ' ').trim();
    const due = page.getByTestId('to-close');
    await due.waitFor();
    expect(await text('[data-testid=to-close-figures] [data-testid=net-sales]')).toBe('35,50 €');
    expect(await text('[data-testid=to-close-figures] tr[data-way=counter_card] td')).toBe('14,50 €');
    expect(await text('[data-testid=running-figures] [data-testid=net-sales]')).toBe('10,50 €');
    expect(await text('[data-testid=running-figures] [data-testid=sales-count]')).toBe('1');
    // the nightly run's closing says so, never "system"
    const nightly = page.locator(`section[data-level=day] tbody tr[data-period="${dayBefore}"]`);
    expect(await nightly.getByTestId('closed-by').textContent()).toBe('clôture automatique');
    expect(await nightly.locator('[data-testid=closing-sales]').textContent()).toMatch(/10,50\s€/);
    await page.screenshot({ path: `${SHOTS}/fiscal-1-to-close-1440.png`, fullPage: true });
    expect(await seriousViolations(page), 'closings page').toEqual([]);

    await due.getByRole('button', { name: 'Clôturer la journée' }).click();
    await page.getByTestId('closed-now').waitFor();
    expect(await page.getByTestId('to-close').count()).toBe(0);
    const row = page.locator('section[data-level=day] tbody tr[data-seq]').first();
    expect(await row.locator('[data-testid=closing-sales]').textContent()).toMatch(/35,50\s€/);
    expect(await row.locator('[data-testid=closing-money]').textContent()).toMatch(/35,50\s€/);
    expect(await row.locator('[data-testid=closing-perpetual]').textContent()).toMatch(/46,00\s€/);
    // beside it, the grand total in absolute value (no return yet: the same)
    expect(await row.getByTestId('closing-perpetual-absolute').textContent()).toMatch(/en valeur absolue\s: 46,00\s€/);
    // who closed it, as people read it: the manager's name and role, never "manager:27"
    const managerName = (await app.pool.query('SELECT name FROM users WHERE email = $1', [shop.email('manager')])).rows[0].name;
    expect(await row.getByTestId('closed-by').textContent()).toBe(`par ${managerName} (Responsable)`);
    await page.locator('section[data-level=day] details summary').first().click();
    await page.screenshot({ path: `${SHOTS}/fiscal-2-closed-1440.png`, fullPage: true });
    expect(await seriousViolations(page), 'closings page, a closing opened').toEqual([]);

    await page.setViewportSize({ width: 1024, height: 768 });
    await page.screenshot({ path: `${SHOTS}/fiscal-3-closed-1024.png`, fullPage: true });
    // the page fits: nothing scrolls sideways
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // the closing is in the shop's chain, signed, with its event in the technical events journal
    const closing = (await app.pool.query(`SELECT seq, operator, body FROM fiscal_entries WHERE chain = $1 AND kind = 'closing' AND body->>'level' = 'day' ORDER BY seq`, [`shop:${shop.id}`])).rows;
    expect(closing.map((c) => c.operator)).toEqual(['system', expect.stringMatching(/^manager:\d+$/)]);
    expect(closing.map((c) => c.body.totals.takenCents)).toEqual([1050, 3550]);
    // the shop's manager sees theirs alone: no view of every shop
    expect(await page.getByTestId('chain-closings').count()).toBe(0);

    // head office: every shop at a glance above the one chosen, each row opening its shop's page
    const { page: hq } = await app.staffPage('admin@ocpizza.test', { width: 1440, height: 900 });
    await hq.goto(`${app.base}/manager/fiscal?shop=${shop.id}`);
    const chain = hq.getByTestId('chain-closings');
    await chain.waitFor();
    const mine = chain.locator(`tr[data-shop="${shop.slug}"]`);
    const dayName = (day: string) => new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
    const { rows: [{ day: yesterday }] } = await app.pool.query(`SELECT ((now() AT TIME ZONE 'Europe/Paris')::date - 1)::text AS day`);
    expect((await mine.locator('td').first().textContent())!.trim()).toBe(dayName(yesterday));
    expect((await mine.getByTestId('chain-state').textContent())!.trim()).toBe('À jour');
    expect((await mine.locator('td.num').innerText()).replace(/\s+/g, ' ').trim()).toBe('46,00 € en valeur absolue : 46,00 €');
    // every shop of the chain is a row (a training shop is not the chain's)
    const shops = (await app.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pizzerias WHERE NOT training')).rows[0].n;
    expect(await chain.locator('tbody tr').count()).toBe(shops);
    await hq.screenshot({ path: `${SHOTS}/fiscal-4-every-shop-1440.png`, fullPage: true });
    expect(await seriousViolations(hq), 'closings page, head office').toEqual([]);
    await mine.getByRole('link').click();
    await hq.waitForURL(`${app.base}/manager/fiscal?shop=${shop.id}`);
  });
});
