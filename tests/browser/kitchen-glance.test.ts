import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, createShop, move } from '../helpers.ts';
import { seriousViolations } from './axe.ts';
import { SHOTS, cookTap, live, useApp } from './harness.ts';
import { menuIds } from './kitchen-orders.ts';

// The kitchen's wall tablet (1280×800) at a glance, and still, as the cooks of a busy evening need it:
// a dozen typical orders fit on one screen; with twenty, every ticket is on the screen or one screen
// away with its count, and the newest is always in sight; a minute of orders arriving and bumped from
// the other tablets moves nothing under a finger on "Tout", the oven and the pass; the text grows for
// a tablet read from further away, every target a finger's size; the last ticket bumped comes back
// in one key, and a line crossed off by mistake is undone with one tap. Shops of the file's own.
const WALL = { width: 1280, height: 800 };
const app = useApp('glance', { PREP_TARGET_SECONDS: '900', DISPATCH_PRESENT_ONLY: 'false', KITCHEN_UNDO_SECONDS: '120' });

const { productId, optionId } = menuIds(() => app.pool);

type Line = [slug: string, quantity: number, options?: string[]];
interface Placed { id: string; number: number }
/** A numbers of this file's own (07…), one per order. */
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
async function order(shopId: number, lines: Line[], i: number): Promise<Placed> {
  const items = await Promise.all(
    lines.map(async ([slug, quantity, options = []]) => ({ productId: await productId(slug), quantity, options: await Promise.all(options.map((o) => optionId(slug, o))) })),
  );
  const res = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pizzeriaId: shopId,
      fulfilment: 'pickup',
      customer: { name: ['Inès', 'Hugo', 'Camille', 'Yanis', 'Léa', 'Malik'][i % 6], phone: phone() },
      items,
      payment: 'on_delivery',
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

// a typical evening's orders: two or three pizzas, a size, an extra, something left out, drinks
const TYPICAL: Line[][] = [
  [['margherita', 2], ['reine', 1, ['Sans champignons']]],
  [['quatre-fromages', 1, ['Grande (40 cm)']], ['reine', 1]],
  [['calzone', 1], ['margherita', 1, ['Supplément mozzarella']], ['reine', 1]],
  [['reine', 2, ['Supplément jambon']], ['margherita', 1]],
  [['margherita', 1, ['Sans basilic']], ['quatre-fromages', 1]],
  [['calzone', 2], ['coca-cola', 2]],
  [['reine', 1, ['Grande (40 cm)', 'Sans champignons']], ['margherita', 2]],
  [['quatre-fromages', 2], ['reine', 1]],
  [['margherita', 3]],
  [['calzone', 1, ['Supplément champignons']], ['reine', 1], ['margherita', 1]],
  [['reine', 1], ['quatre-fromages', 1, ['Supplément mozzarella']]],
  [['margherita', 2], ['calzone', 1]],
];

/** The make line's tickets entirely on screen: inside the window and inside the make line's box. */
const fullyVisible = (page: Page): Promise<string[]> =>
  page.evaluate(({ width, height }) => {
    const area = document.querySelector('[data-testid=make-line]')!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('[data-testid=make-line] article[data-order]')]
      .filter((e) => {
        const b = e.getBoundingClientRect();
        return b.top >= Math.max(0, area.top) - 1 && b.bottom <= Math.min(height, area.bottom) + 1 && b.left >= -1 && b.right <= width + 1;
      })
      .map((e) => e.dataset.order!);
  }, WALL);

/** A ticket in sight: its ticket entirely on screen, or its chip under the make line (one tap from its screen). */
const inSight = async (page: Page, id: string) =>
  (await fullyVisible(page)).includes(id) || (await page.locator(`[data-elsewhere="${id}"]`).isVisible());

/** What "+N ›" says is on the next screens. */
const countAfter = async (page: Page) => Number(((await page.getByTestId('page-after').textContent()) ?? '').match(/\+(\d+)/)?.[1] ?? 0);

/** Every target on screen smaller than a finger (44×44 px): a line each. */
const smallTargets = (page: Page): Promise<string[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea, [role=button], [tabindex]:not([tabindex="-1"])')]
      .filter((e) => !e.closest('[inert], [aria-hidden=true]') && e.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
      .map((e) => ({ e, b: e.getBoundingClientRect() }))
      .filter(({ b }) => b.width > 0 && b.bottom > 0 && b.top < innerHeight && b.right > 0 && b.left < innerWidth)
      .filter(({ b }) => b.width < 43.5 || b.height < 43.5)
      .map(({ e, b }) => `${e.tagName.toLowerCase()}.${e.className} "${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 30)}" ${Math.round(b.width)}×${Math.round(b.height)}`),
  );

/** Layout shifts not caused by a touch or a key (the Layout Instability API), with their time. */
const watchShifts = (page: Page) =>
  page.addInitScript(() => {
    const w = window as unknown as { shifts: [number, number][] };
    w.shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { startTime: number; value: number; hadRecentInput: boolean }[]) if (!e.hadRecentInput) w.shifts.push([e.startTime, e.value]);
    }).observe({ type: 'layout-shift', buffered: true });
  });
/** The worst layout shift added up over any 5 seconds since `from` (the page's clock), and the whole. */
const shiftsSince = (page: Page, from: number) =>
  page.evaluate((from) => {
    const s = (window as unknown as { shifts: [number, number][] }).shifts.filter(([at]) => at >= from);
    const worst = Math.max(0, ...s.map(([at]) => s.filter(([t]) => t >= at && t < at + 5000).reduce((n, [, v]) => n + v, 0)));
    return { worst, total: s.reduce((n, [, v]) => n + v, 0), shifts: s.length };
  }, from);

async function wallTablet(email: string, station?: string): Promise<Page> {
  const { page } = await app.staffPage(email, WALL);
  await watchShifts(page);
  await page.goto(`${app.base}/kitchen`);
  await live(page);
  if (station) {
    const button = page.getByTestId('stations').getByRole('button', { name: station, exact: true });
    await button.click();
    await expect.poll(() => button.getAttribute('aria-pressed')).toBe('true');
  }
  return page;
}

describe('the kitchen at a glance', () => {
  it('a dozen typical orders: ten or more entirely on one screen; at the largest text size item lines of 28 px and every target a finger wide, kept by the tablet', async () => {
    const shop = await createShop(app.pool, 'dozen');
    const placed: Placed[] = [];
    for (const [i, lines] of TYPICAL.entries()) placed.push(await order(shop.id, lines, i));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    for (const o of placed.slice(0, 4)) await move(kitchen, o.id, 'preparing');

    const page = await wallTablet(shop.email('kitchen'));
    await expect.poll(async () => (await fullyVisible(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    const shown = await fullyVisible(page);
    // oldest first: the first order placed leads, and what is not on this screen is counted on the next
    expect(shown[0]).toBe(placed[0].id);
    expect(shown.length + (await page.getByTestId('page-after').count() ? await countAfter(page) : 0)).toBe(12);
    await page.screenshot({ path: `${SHOTS}/kitchen-glance-normal-1280x800.png` });
    expect(await seriousViolations(page), 'the kitchen at the normal size').toEqual([]);
    const normalSmall = await smallTargets(page);

    // the largest size, for a tablet read from further away
    await page.getByRole('button', { name: 'Texte très grand' }).click();
    const lineSize = () => page.locator('[data-testid=make-line] .line .name').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    await expect.poll(lineSize).toBeGreaterThanOrEqual(28);
    const px = (selector: string) => page.locator(selector).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    expect(await px('[data-testid=make-line] .num')).toBeGreaterThanOrEqual(36);
    expect(await px('[data-testid=make-line] .due')).toBeGreaterThanOrEqual(20);
    await expect.poll(async () => (await fullyVisible(page)).length).toBeGreaterThanOrEqual(3);
    expect(await smallTargets(page)).toEqual([]);
    // every ticket still within reach: those shown, and the next screens' count
    expect((await fullyVisible(page)).length + (await countAfter(page))).toBe(12);
    await page.screenshot({ path: `${SHOTS}/kitchen-glance-xlarge-1280x800.png` });
    expect(await seriousViolations(page), 'the kitchen at the largest size').toEqual([]);

    // the tablet keeps its size
    await page.reload();
    await live(page);
    await expect.poll(() => page.getByRole('button', { name: 'Texte très grand' }).getAttribute('aria-pressed')).toBe('true');
    expect(await lineSize()).toBeGreaterThanOrEqual(28);
    await page.getByRole('button', { name: 'Texte normal' }).click();
    console.log(`targets under 44 px at the normal size: ${normalSmall.length}${normalSmall.length ? `\n  ${normalSmall.join('\n  ')}` : ''}`);
    await page.context().close();
  });

  it('twenty open orders: each on the screen or one screen away with its count, the newest always in sight; the last bump back in one key; a line crossed off undone', async () => {
    const shop = await createShop(app.pool, 'twenty');
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const placed: Placed[] = [];
    for (let i = 0; i < 20; i++) placed.push(await order(shop.id, TYPICAL[i % TYPICAL.length], i));
    for (const o of placed.slice(0, 10)) await move(kitchen, o.id, 'preparing');

    const page = await wallTablet(shop.email('kitchen'));
    await expect.poll(async () => (await fullyVisible(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
    const first = await fullyVisible(page);
    // one screen away, counted: "+N ›" and "1/2"
    expect(first.length + (await countAfter(page))).toBe(20);
    expect(await page.getByTestId('page-of').textContent()).toBe('Écran 1/2');
    // the newest is in sight, to start
    expect(await inSight(page, placed[19].id)).toBe(true);
    await page.screenshot({ path: `${SHOTS}/kitchen-glance-twenty-1280x800.png` });

    // the next screen shows the rest, whole
    await page.getByTestId('page-after').click();
    await expect.poll(() => page.getByTestId('page-of').textContent()).toBe('Écran 2/2');
    const second = await fullyVisible(page);
    expect(new Set([...first, ...second]).size).toBe(20);
    await page.screenshot({ path: `${SHOTS}/kitchen-glance-twenty-second-screen.png` });
    await page.getByTestId('page-before').click();
    await expect.poll(() => page.getByTestId('page-of').textContent()).toBe('Écran 1/2');

    // one more arrives while the cook looks at the first screen: in sight at once, marked new, one tap from its ticket
    const newest = await order(shop.id, [['margherita', 2], ['coca-cola', 1]], 20);
    await expect.poll(() => inSight(page, newest.id), { timeout: 10_000 }).toBe(true);
    const chip = page.locator(`[data-elsewhere="${newest.id}"]`);
    if (await chip.isVisible()) {
      expect(await chip.textContent()).toMatch(/nouveau/i);
      await page.screenshot({ path: `${SHOTS}/kitchen-glance-newest-elsewhere.png` });
      await chip.click();
      await expect.poll(async () => (await fullyVisible(page)).includes(newest.id)).toBe(true);
      while (!(await page.getByTestId('page-of').textContent())!.startsWith('Écran 1/')) await page.getByTestId('page-before').click();
    }

    // a ticket bumped ready, then "L" once: back in the oven
    const status = async (id: string) => (await app.pool.query('SELECT status FROM orders WHERE id = $1', [id])).rows[0].status;
    await page.locator(`article[data-order="${placed[0].id}"]`).getByRole('button', { name: /Prête/ }).click();
    await expect.poll(() => status(placed[0].id)).toBe('ready');
    await expect.poll(() => page.getByTestId('recall-last').textContent()).toContain(`n°${placed[0].number}`);
    await page.keyboard.press('l');
    await expect.poll(() => status(placed[0].id)).toBe('preparing');
    await page.locator(`[data-testid=make-line] article[data-order="${placed[0].id}"]`).waitFor();

    // a line crossed off by mistake: "Annuler", and it is to make again
    const line = page.locator(`article[data-order="${placed[1].id}"] button.cross`).first();
    const done = async () => (await app.pool.query('SELECT count(*)::int AS n FROM order_items WHERE order_id = $1 AND done_at IS NOT NULL', [placed[1].id])).rows[0].n;
    await cookTap(page, line, async () => (await done()) === 1);
    await expect.poll(done).toBe(1);
    const undo = page.getByTestId('undo');
    expect(await undo.textContent()).toContain(`n°${placed[1].number}`);
    await page.screenshot({ path: `${SHOTS}/kitchen-glance-undo.png` });
    await undo.getByRole('button', { name: 'Annuler' }).click();
    await expect.poll(done).toBe(0);
    expect(await seriousViolations(page), 'the kitchen with twenty orders').toEqual([]);
    await page.context().close();
  });

  it('a minute of orders arriving and bumped from the other tablets, no hand on the screens: nothing jumps on Tout, the oven or the pass; a line crossed off at the oven comes back with one tap', async () => {
    const shop = await createShop(app.pool, 'still');
    const manager = await new Client(app.base).login(shop.email('manager'));
    const set = await manager.put(`/api/shops/${shop.id}/stations`, {
      stations: [{ name: 'Four', kinds: ['pizza'] }, { name: 'Froid', kinds: ['drink', 'dessert'] }, { name: 'Passe', isPass: true }],
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const lines = async (id: string) => (await kitchen.get(`/api/orders/${id}`)).body.items as { id: number; category: string; doneAt: string | null }[];
    const evening: Line[][] = [
      [['margherita', 2], ['coca-cola', 1]], [['reine', 1], ['quatre-fromages', 1]], [['calzone', 1], ['tiramisu', 1]],
      [['margherita', 1], ['reine', 1], ['coca-cola', 2]], [['quatre-fromages', 2]], [['reine', 2], ['tiramisu', 1]],
    ];
    // the make line when the minute starts: ten orders, the first five in the oven
    const open: { id: string; number: number; stage: number }[] = [];
    for (let i = 0; i < 10; i++) open.push({ ...(await order(shop.id, evening[i % evening.length], i)), stage: 0 });
    for (const o of open.slice(0, 5)) {
      await move(kitchen, o.id, 'preparing');
      o.stage = 1;
    }

    const all = await wallTablet(shop.email('kitchen'));
    const oven = await wallTablet(shop.email('kitchen'), 'Four');
    const pass = await wallTablet(shop.email('kitchen'), 'Passe');

    // at the oven, a pizza crossed off by mistake: the ticket leaves the oven; "Annuler" brings it back
    const mistaken = open[4];
    const pizzas = (await lines(mistaken.id)).filter((l) => l.category === 'pizza');
    const crossed = async (lineId: number) => (await lines(mistaken.id)).some((l) => l.id === lineId && l.doneAt);
    for (const l of pizzas) await cookTap(oven, oven.locator(`article[data-order="${mistaken.id}"] li[data-line="${l.id}"] button.cross`), () => crossed(l.id));
    await oven.locator(`[data-testid=make-line] article[data-order="${mistaken.id}"]`).waitFor({ state: 'detached' });
    await oven.getByTestId('undo').getByRole('button', { name: 'Annuler' }).click();
    await oven.locator(`[data-testid=make-line] article[data-order="${mistaken.id}"]`).waitFor();
    expect((await lines(mistaken.id)).filter((l) => l.category === 'pizza' && l.doneAt).length).toBe(0);

    // hands off; the minute starts once every screen has settled
    const pages = { Tout: all, Four: oven, Passe: pass };
    await new Promise((r) => setTimeout(r, 4000));
    const from = Object.fromEntries(await Promise.all(Object.entries(pages).map(async ([name, p]) => [name, await p.evaluate(() => performance.now())] as const)));

    // the other tablets at work: an order every 7.5 s; meanwhile the oldest open order moves on a step
    // every 1.5 s (started, its pizzas made, its drinks and desserts made, ready on the pass, handed over)
    let placedCount = 10;
    const end = Date.now() + 60_000;
    for (let step = 0; Date.now() < end; step++) {
      const at = Date.now();
      if (step % 5 === 4) open.push({ ...(await order(shop.id, evening[placedCount % evening.length], placedCount++)), stage: 0 });
      else {
        const o = open[0];
        if (o.stage === 0) await move(kitchen, o.id, 'preparing');
        else if (o.stage === 1 || o.stage === 2) {
          for (const l of (await lines(o.id)).filter((l) => (o.stage === 1 ? l.category === 'pizza' : l.category !== 'pizza'))) {
            const r = await kitchen.post(`/api/orders/${o.id}/lines/${l.id}`, { done: true });
            expect(r.status, JSON.stringify(r.body)).toBe(200);
          }
        } else if (o.stage === 3) await move(kitchen, o.id, 'ready');
        else await move(kitchen, o.id, 'collected');
        if (++o.stage === 5) open.shift();
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1500 - (Date.now() - at))));
    }

    const measured: Record<string, { worst: number; total: number; shifts: number }> = {};
    for (const [name, p] of Object.entries(pages)) measured[name] = await shiftsSince(p, from[name]);
    console.log(`a minute of service, no hand on the screens (${placedCount - 10} orders placed): ${JSON.stringify(measured)}`);
    for (const [name, p] of Object.entries(pages)) await p.screenshot({ path: `${SHOTS}/kitchen-glance-still-${name.toLowerCase()}.png` });
    for (const [name, m] of Object.entries(measured)) expect(m.worst, `${name}: worst 5-second layout shift`).toBeLessThan(0.1);
    for (const p of Object.values(pages)) await p.context().close();
  }, 180_000);
});
