import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
import { PHONE, SHOTS, live, ticketInView, useApp } from './harness.ts';
import { seededProduct } from '../helpers.ts';
import { cancelAsPlatform, moveCourier, placePlatformOrder } from '../marketplace-fixtures.ts';
import { seriousViolations } from './axe.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// Delivery platforms' orders on the kitchen's wall tablet (1280×800), read from 2 m: each ticket
// with its platform's badge and its code there, the pass saying where the platform's courier is,
// the handover one tap, and a cancellation the platform made heard apart from ours. Everything
// happens in a shop of its own.
const WALL = { width: 1280, height: 800 };
const app = useApp('marketplace', { PREP_TARGET_SECONDS: '900', DISPATCH_PRESENT_ONLY: 'false' }, { shop: 'platforms' });
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

let cookie: string;
beforeAll(async () => {
  const res = await fetch(`${app.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: app.shop.email('kitchen'), password: inject('demoPassword') }),
  });
  expect(res.status).toBe(200);
  cookie = res.headers.get('set-cookie')!.split(';')[0];
});

/** Another tablet of the kitchen moves the order. */
async function move(id: string, to: string) {
  const r = await fetch(`${app.base}/api/orders/${id}/status`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ to }) });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** Our own order, taken at the shop: no badge. */
async function ourOrder(): Promise<{ id: string; number: number }> {
  const r = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pizzeriaId: app.shop.id, fulfilment: 'pickup', customer: { name: 'Inès Roux', phone: '0611223399' }, items: [{ productId: seededProduct('reine'), quantity: 2 }], payment: 'on_delivery' }),
  });
  expect(r.status).toBe(201);
  return r.json();
}

/** The tones the page plays, as their wave and notes: each kind of news has its own tune. */
const recordTones = (page: Page) =>
  page.addInitScript(() => {
    const w = window as unknown as { tones: string[] };
    w.tones = [];
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (this: AudioContext) {
      const o = create.call(this);
      const start = o.start.bind(o);
      o.start = (when?: number) => {
        w.tones.push(`${o.type}:${o.frequency.value}`);
        start(when);
      };
      return o;
    };
  });
const tones = (page: Page) => page.evaluate(() => (window as unknown as { tones: string[] }).tones.splice(0));

describe("delivery platforms' orders on the kitchen", () => {
  it('shows the badge on the ticket, the courier on the pass, and hands over in one tap', async () => {
    const uber = await placePlatformOrder(app.pool, app.base, { pizzeriaId: app.shop.id, productId: seededProduct('margherita'), quantity: 2, name: 'Jules Petit' }, {
      code: 'A1B2C', courier: { eta: inMinutes(4), state: 'assigned' },
    });
    const roo = await placePlatformOrder(app.pool, app.base, { pizzeriaId: app.shop.id, productId: seededProduct('calzone'), name: 'Nora Blanc' }, {
      marketplace: 'deliveroo', code: '4812', courier: null,
    });
    const own = await ourOrder();

    const { page } = await app.staffPage(app.shop.email('kitchen'), WALL);
    await page.goto(`${app.base}/kitchen`);
    await live(page);
    await ticketInView(page, uber.id);
    const ticket = (id: string) => page.locator(`[data-testid=make-line] article[data-order="${id}"]`);
    // each platform's ticket carries its badge, the code the courier will say; ours carries none
    await expect.poll(() => ticket(uber.id).getByTestId('marketplace-badge').textContent()).toBe('UE · A1B2C');
    expect(await ticket(uber.id).getByTestId('marketplace-badge').getAttribute('data-marketplace')).toBe('uber_eats');
    expect(await ticket(roo.id).getByTestId('marketplace-badge').textContent()).toBe('DR · 4812');
    expect(await ticket(own.id).getByTestId('marketplace-badge').count()).toBe(0);
    // readable from 2 m: the badge as large as the ticket's lines (20 px and more)
    const px = (l: ReturnType<Page['locator']>) => l.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    expect(await px(ticket(uber.id).getByTestId('marketplace-badge'))).toBeGreaterThanOrEqual(18);
    await page.screenshot({ path: `${SHOTS}/marketplace-kitchen-1-make-line.png` });

    // ready: on the pass, its code large and where its courier is, counting down
    await move(uber.id, 'preparing');
    await move(uber.id, 'ready');
    await move(roo.id, 'preparing');
    await move(roo.id, 'ready');
    const pass = (id: string) => page.locator(`.pass article[data-order="${id}"]`);
    await pass(uber.id).waitFor({ timeout: 15_000 });
    await expect.poll(() => pass(uber.id).getByTestId('courier').textContent()).toMatch(/^Coursier Uber Eats dans [34] min$/);
    expect(await pass(roo.id).getByTestId('courier').textContent()).toBe('Coursier pas encore assigné');
    expect(await px(pass(uber.id).getByTestId('marketplace-code'))).toBeGreaterThanOrEqual(24);
    expect(await pass(uber.id).getByRole('button', { name: 'Remis au coursier' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/marketplace-kitchen-2-pass-courier-coming.png` });

    // the platform says its courier is at the counter: the pass says so at once
    await moveCourier(app.pool, uber.id, { eta: inMinutes(0), state: 'arrived' });
    await expect.poll(() => pass(uber.id).getByTestId('courier').textContent(), { timeout: 10_000 }).toBe('Coursier arrivé');
    expect(await pass(uber.id).getByTestId('courier').getAttribute('data-urgency')).toBe('here');
    await page.screenshot({ path: `${SHOTS}/marketplace-kitchen-3-pass-courier-here.png` });

    // one tap: handed to the courier, collected
    await pass(uber.id).getByRole('button', { name: 'Remis au coursier' }).click();
    await expect.poll(async () => (await app.pool.query('SELECT status FROM orders WHERE id = $1', [uber.id])).rows[0].status, { timeout: 10_000 }).toBe('collected');
    await expect.poll(() => pass(uber.id).count(), { timeout: 10_000 }).toBe(0);

    // the same on a phone: one column, the badge and the courier line whole
    const phone = await app.staffPage(app.shop.email('kitchen'), PHONE);
    await phone.page.goto(`${app.base}/kitchen`);
    await live(phone.page);
    const onPhone = phone.page.locator(`.pass article[data-order="${roo.id}"]`);
    await onPhone.waitFor({ timeout: 15_000 });
    const badge = (await onPhone.getByTestId('marketplace-badge').boundingBox())!;
    expect(badge.x + badge.width).toBeLessThanOrEqual(PHONE.width);
    await phone.page.screenshot({ path: `${SHOTS}/marketplace-kitchen-4-phone.png`, fullPage: true });
    await phone.ctx.close();
  });

  it('a cancellation the platform made plays its own tune, not ours, and names the platform', async () => {
    const { page } = await app.staffPage(app.shop.email('kitchen'), WALL);
    await recordTones(page);
    await page.goto(`${app.base}/kitchen`);
    await live(page);
    await page.getByRole('button', { name: 'Activer le son' }).click();

    const theirs = await placePlatformOrder(app.pool, app.base, { pizzeriaId: app.shop.id, productId: seededProduct('reine'), name: 'Paul Martin' },
      // its courier is on the way: due on the make line now (the plan would hold it for a courier further off)
      { code: 'Z9Y8X', courier: { eta: inMinutes(3), state: 'arriving' } });
    await ticketInView(page, theirs.id);
    const ours = await ourOrder();
    await ticketInView(page, ours.id);
    await tones(page);

    await cancelAsPlatform(app.pool, theirs.id);
    const note = page.locator(`article[data-order="${theirs.id}"] [data-testid=cancel-note]`);
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toContain('Annulée par Uber Eats — ne pas préparer');
    await expect.poll(() => tones(page).then((t) => t.join(' ')), { timeout: 5_000 }).toMatch(/sawtooth/);
    await page.screenshot({ path: `${SHOTS}/marketplace-kitchen-5-cancelled-by-platform.png` });

    // our own cancel: our tune, our words
    const manager = await fetch(`${app.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: app.shop.email('manager'), password: inject('demoPassword') }),
    });
    const r = await fetch(`${app.base}/api/orders/${ours.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: manager.headers.get('set-cookie')!.split(';')[0] },
      body: JSON.stringify({ to: 'cancelled' }),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    const ourNote = page.locator(`article[data-order="${ours.id}"] [data-testid=cancel-note]`);
    await expect.poll(() => ourNote.textContent(), { timeout: 10_000 }).toContain('Annulée — ne pas préparer');
    let heard = '';
    await expect.poll(async () => (heard += ` ${(await tones(page)).join(' ')}`), { timeout: 5_000 }).toMatch(/square/);
    expect(heard).not.toMatch(/sawtooth/);
  });

  it('the counter and the manager see the badge, and the counter where the courier is', async () => {
    const uber = await placePlatformOrder(app.pool, app.base, { pizzeriaId: app.shop.id, productId: seededProduct('margherita'), name: 'Lou Garnier' }, {
      code: 'Q7W3E', courier: { eta: inMinutes(9), state: 'assigned' },
    });
    await move(uber.id, 'preparing');
    await move(uber.id, 'ready');

    const counter = await app.staffPage(app.shop.email('counter'), WALL);
    await counter.page.goto(`${app.base}/counter`);
    await live(counter.page);
    const row = counter.page.locator(`.pickups li[data-order="${uber.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('marketplace-badge').textContent()).toBe('UE · Q7W3E');
    expect(await row.getByTestId('courier').textContent()).toMatch(/^Coursier Uber Eats dans (8|9) min$/);
    // paid to the platform: nothing to collect, handed to the courier
    expect(await row.textContent()).not.toMatch(/à encaisser/i);
    expect(await row.getByRole('button', { name: 'Remis au coursier' }).count()).toBe(1);
    await row.scrollIntoViewIfNeeded();
    await counter.page.screenshot({ path: `${SHOTS}/marketplace-counter.png` });
    await counter.ctx.close();

    const manager = await app.staffPage(app.shop.email('manager'), WALL);
    await manager.page.goto(`${app.base}/manager`);
    await live(manager.page);
    const line = manager.page.locator(`tr[data-order="${uber.id}"]`);
    await line.waitFor({ timeout: 15_000 });
    expect(await line.getByTestId('marketplace-badge').textContent()).toBe('UE · Q7W3E');
    expect(await line.getByTestId('courier').textContent()).toMatch(/^Coursier Uber Eats dans (8|9) min$/);
    await line.scrollIntoViewIfNeeded();
    await manager.page.screenshot({ path: `${SHOTS}/marketplace-manager.png` });
    await manager.ctx.close();
  });
});
