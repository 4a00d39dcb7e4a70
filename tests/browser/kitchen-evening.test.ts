import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, createShop, move } from '../helpers.ts';
import { moveCourier, placePlatformOrder } from '../marketplace-fixtures.ts';
import { seriousViolations } from './axe.ts';
import { SHOTS, live, useApp } from './harness.ts';
import { menuIds, shifted, watchShifts } from './kitchen-orders.ts';

// The kitchen of a real evening, as its cooks found it: tickets of two or three pizzas with their
// options and drinks (three or four lines each), twenty open. On the wall tablet (1280×800) ten or
// more are whole on one screen at the normal text size and six or more at the largest, a ticket
// that does not fit under the last one going on in the next column ("suite →"); a new order is in
// sight at once; nothing shifts as the page loads; times and the courier's line read from 2 m. On
// the pass's own tablet the ready orders are the screen, whoever is coming first first. Shops of
// the file's own.
const WALL = { width: 1280, height: 800 };
const app = useApp('evening', { PREP_TARGET_SECONDS: '900', DISPATCH_PRESENT_ONLY: 'false' });

const { productId, optionId } = menuIds(() => app.pool);

type Line = [slug: string, quantity: number, options?: string[]];
interface Placed { id: string; number: number }
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
async function order(shopId: number, lines: Line[], i: number): Promise<Placed> {
  const items = await Promise.all(
    lines.map(async ([slug, quantity, options = []]) => ({ productId: await productId(slug), quantity, options: await Promise.all(options.map((o) => optionId(slug, o))) })),
  );
  const delivery = i % 3 === 1;
  const res = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pizzeriaId: shopId,
      fulfilment: delivery ? 'delivery' : 'pickup',
      customer: { name: ['Inès Roux', 'Hugo Martin', 'Camille Dubois', 'Yanis Haddad', 'Léa Bernard', 'Malik Diallo'][i % 6], phone: phone() },
      ...(delivery ? { address: { street: `${i + 2} rue Oberkampf`, postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 } } : {}),
      items,
      payment: 'on_delivery',
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

// an evening's real orders: two or three pizzas, a size, extras, something left out, and drinks (three or four lines)
const REAL: Line[][] = [
  [['margherita', 2, ['Supplément mozzarella']], ['reine', 1, ['Sans champignons']], ['coca-cola', 2]],
  [['quatre-fromages', 1, ['Grande (40 cm)']], ['vegetarienne', 1, ['Supplément champignons']], ['orangina', 1], ['eau-minerale', 1]],
  [['calzone', 1, ['Supplément jambon']], ['margherita', 1], ['reine', 1, ['Grande (40 cm)']], ['peroni', 2]],
  [['diavola', 2, ['Grande (40 cm)', 'Supplément mozzarella']], ['margherita', 1], ['coca-cola', 3]],
  [['vegetarienne', 1], ['quatre-fromages', 1, ['Supplément champignons']], ['tiramisu', 2]],
  [['reine', 2, ['Supplément jambon']], ['calzone', 1], ['eau-minerale', 2], ['coca-cola', 1]],
];

/** The make line's tickets entirely on screen, every line of them too (a ticket going on in the next column counts when both parts are). */
const wholeOnScreen = (page: Page): Promise<string[]> =>
  page.evaluate(({ width, height }) => {
    const area = document.querySelector('[data-testid=make-line]')!.getBoundingClientRect();
    const inside = (b: DOMRect) => b.top >= Math.max(0, area.top) - 1 && b.bottom <= Math.min(height, area.bottom) + 1 && b.left >= -1 && b.right <= width + 1;
    return [...document.querySelectorAll<HTMLElement>('[data-testid=make-line] article[data-order]')]
      .filter((e) => inside(e.getBoundingClientRect()) && [...e.querySelectorAll('li[data-line], button')].every((l) => inside(l.getBoundingClientRect())))
      .map((e) => e.dataset.order!);
  }, WALL);
const countAfter = async (page: Page) => Number(((await page.getByTestId('page-after').count()) ? await page.getByTestId('page-after').textContent() : '')?.match(/\+(\d+)/)?.[1] ?? 0);
const px = (page: Page, selector: string) => page.locator(selector).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));

describe('the kitchen of a real evening', () => {
  it('twenty real tickets: ten or more whole at the normal size, six or more at the largest, a new one in sight within 2 s, still at load', async () => {
    const shop = await createShop(app.pool, 'real');
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const placed: Placed[] = [];
    for (let i = 0; i < 20; i++) placed.push(await order(shop.id, REAL[i % REAL.length], i));
    for (const o of placed.slice(0, 8)) await move(kitchen, o.id, 'preparing');

    const { page } = await app.staffPage(shop.email('kitchen'), WALL);
    await watchShifts(page);
    await page.goto(`${app.base}/kitchen`);
    await live(page);
    await expect.poll(async () => (await wholeOnScreen(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    const first = await wholeOnScreen(page);
    console.log(`twenty real tickets, normal size: ${first.length} whole on the first screen, +${await countAfter(page)} after`);
    // oldest first, and nothing lost: what is not on this screen is counted on the next
    expect(first[0]).toBe(placed[0].id);
    expect(first.length + (await countAfter(page))).toBe(20);
    // no pass strip while nothing is ready: the make line has the room
    expect(await page.getByTestId('pass').count()).toBe(0);
    // read from 2 m: the promised time, the time in the oven and the wait at least 20 px
    expect(await px(page, '[data-testid=make-line] [data-testid=due]')).toBeGreaterThanOrEqual(20);
    expect(await px(page, '[data-testid=make-line] .stage:not(.room)')).toBeGreaterThanOrEqual(20);
    expect(await px(page, '[data-testid=make-line] .age')).toBeGreaterThanOrEqual(28);
    // the customer's name (the kitchen gets the first name)
    expect(await page.locator(`article[data-order="${placed[0].id}"] .who`).textContent()).toContain('Inès');
    await page.waitForTimeout(3000);
    const atLoad = await shifted(page);
    expect(atLoad, `layout shift at load ${atLoad}`).toBeLessThan(0.05);
    await page.screenshot({ path: `${SHOTS}/kitchen-evening-1280x800.png` });
    expect(await seriousViolations(page), 'twenty real tickets').toEqual([]);

    // a new order while the wall shows its first screen: in sight within 2 s, its ticket or its chip
    const newest = await order(shop.id, REAL[2], 20);
    const started = Date.now();
    await expect.poll(async () => (await wholeOnScreen(page)).includes(newest.id) || page.locator(`[data-elsewhere="${newest.id}"]`).isVisible(), { timeout: 2000, interval: 100 }).toBe(true);
    console.log(`the new order in sight after ${Date.now() - started} ms`);
    await page.screenshot({ path: `${SHOTS}/kitchen-evening-newest.png` });

    // the largest text size: six or more whole
    await page.getByRole('button', { name: 'Texte très grand' }).click();
    await expect.poll(async () => (await wholeOnScreen(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    const large = await wholeOnScreen(page);
    console.log(`twenty-one real tickets, largest size: ${large.length} whole on the first screen`);
    expect(large.length + (await countAfter(page))).toBe(21);
    await page.screenshot({ path: `${SHOTS}/kitchen-evening-xlarge.png` });
    await page.getByRole('button', { name: 'Texte normal' }).click();
    await page.context().close();
  });

  it("the pass's own tablet: the ready orders are the screen, the courier arriving first, every one on the screen or one screen away", async () => {
    const shop = await createShop(app.pool, 'expo');
    const manager = await new Client(app.base).login(shop.email('manager'));
    const set = await manager.put(`/api/shops/${shop.id}/stations`, { stations: [{ name: 'Four', kinds: ['pizza'] }, { name: 'Passe', isPass: true }] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const ready: Placed[] = [];
    for (let i = 0; i < 15; i++) ready.push(await order(shop.id, REAL[i % REAL.length], i));
    // the Uber courier two minutes away, ready last of all
    const uber = await placePlatformOrder(app.pool, app.base, { pizzeriaId: shop.id, productId: await productId('margherita'), quantity: 2, name: 'Jules Petit' }, {
      code: 'K7Q2P', courier: { eta: new Date(Date.now() + 2 * 60_000), state: 'assigned' },
    });
    for (const o of [...ready, uber]) {
      await move(kitchen, o.id, 'preparing');
      await move(kitchen, o.id, 'ready');
    }
    // two still in the oven
    for (let i = 0; i < 2; i++) await move(kitchen, (await order(shop.id, REAL[i], 30 + i)).id, 'preparing');

    const { page } = await app.staffPage(shop.email('kitchen'), WALL);
    await watchShifts(page);
    await page.goto(`${app.base}/kitchen`);
    await live(page);
    const button = page.getByTestId('stations').getByRole('button', { name: 'Passe', exact: true });
    await button.click();
    await expect.poll(() => button.getAttribute('aria-pressed')).toBe('true');
    const pass = page.getByTestId('pass');
    const cards = pass.locator('article[data-order]');
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    // the courier two minutes away first, large
    expect(await cards.first().getAttribute('data-order')).toBe(uber.id);
    expect(await px(page, '[data-testid=pass] [data-testid=courier]')).toBeGreaterThanOrEqual(20);
    // every ready order on this screen, or counted one screen away
    const shown = await cards.count();
    const after = Number(((await pass.getByTestId('pass-after').textContent()) ?? '').match(/\+(\d+)/)?.[1] ?? 0);
    console.log(`the pass's tablet: ${shown} ready orders on the screen, +${after} on the next`);
    expect(shown + after).toBe(16);
    expect(shown).toBeGreaterThanOrEqual(8);
    const box = (await pass.boundingBox())!;
    expect(box.height, 'the pass is the main area').toBeGreaterThan(WALL.height * 0.6);
    await page.screenshot({ path: `${SHOTS}/kitchen-pass-tablet.png` });
    if (after) {
      await pass.getByTestId('pass-after').click();
      await expect.poll(() => cards.count()).toBe(after);
    }
    // the courier comes: still first, "arrived"
    await moveCourier(app.pool, uber.id, { eta: new Date(), state: 'arrived' });
    expect(await seriousViolations(page), 'the pass tablet').toEqual([]);
    await page.context().close();
  });
});
