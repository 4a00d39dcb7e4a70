import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, connectSocket, subscribe } from '../helpers.ts';
import { FakePrinter } from '../fake-printer.ts';
import { SHOTS, cookTap, live, useApp } from './harness.ts';

// A shop with three kitchen tablets on the wall (1280×800): the manager sets the stations in the
// back office (the oven makes the pizzas, the cold station the drinks and desserts, and the pass),
// each tablet chooses its station, the cooks cross lines off with a tap or the bump bar, and the pass
// lights an order once every station is done and sends it out. A shop of the test's own.
const WALL = { width: 1280, height: 800 };
// the fake printer listens on a loopback address of its own (tests/fake-printer.ts): allowed here only
const app = useApp('stations', { PREP_TARGET_SECONDS: '900', DISPATCH_PRESENT_ONLY: 'false', PRINTER_ALLOW_LOOPBACK: 'true' }, { shop: 'stations' });

const productId = async (slug: string): Promise<number> => (await app.pool.query('SELECT id FROM products WHERE slug = $1', [slug])).rows[0].id;

async function order(name: string, lines: [slug: string, quantity: number][]): Promise<number> {
  const items = await Promise.all(lines.map(async ([slug, quantity]) => ({ productId: await productId(slug), quantity })));
  const res = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pizzeriaId: app.shop.id, fulfilment: 'pickup', customer: { name, phone: '06 11 22 33 44' }, items, payment: 'on_delivery' }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()).number;
}

/** The order's status as the database holds it. */
const statusOf = async (number: number): Promise<string> =>
  (await app.pool.query('SELECT status FROM orders WHERE pizzeria_id = $1 AND number = $2', [app.shop.id, number])).rows[0]?.status;
const ticketOf = (page: Page, number: number) => page.locator(`article.ticket[data-number="${number}"]`);
/** The line names a ticket shows. */
const linesOf = async (page: Page, number: number) => (await ticketOf(page, number).locator('.items .name').allInnerTexts()).map((s) => s.trim());

async function tablet(station: string): Promise<Page> {
  const { page } = await app.staffPage(app.shop.email('kitchen'), WALL);
  await page.goto(`${app.base}/kitchen`);
  await live(page);
  await page.getByTestId('stations').getByRole('button', { name: station, exact: true }).click();
  await expect.poll(() => page.getByTestId('stations').getByRole('button', { name: station, exact: true }).getAttribute('aria-pressed')).toBe('true');
  return page;
}

describe('kitchen stations and the pass', () => {
  it('the manager sets the stations in the back office, and the kitchen tablet already on the wall offers them at once', async () => {
    const { page: wall } = await app.staffPage(app.shop.email('kitchen'), WALL);
    await wall.goto(`${app.base}/kitchen`);
    await live(wall);
    expect(await wall.getByTestId('stations').count()).toBe(0);
    const { page } = await app.staffPage(app.shop.email('manager'), { width: 1280, height: 900 });
    // a slow tablet: the page's scripts arrive only after the manager has typed the first station;
    // what was typed and ticked stays when the page comes alive
    let letScriptsIn = () => {};
    const held = new Promise<void>((resolve) => { letScriptsIn = resolve; });
    await page.route('**/_app/immutable/**/*.js', async (route) => { await held; await route.continue(); });
    await page.goto(`${app.base}/manager/shops/${app.shop.id}`, { waitUntil: 'domcontentloaded' });
    const form = page.getByTestId('stations-form');
    await form.locator('input[name=name_0]').fill('Four');
    await form.locator('input[name=kinds_0][value=pizza]').check();
    letScriptsIn();
    await page.waitForLoadState('networkidle');
    await page.unroute('**/_app/immutable/**/*.js');
    expect(await form.locator('input[name=name_0]').inputValue()).toBe('Four');
    expect(await form.locator('input[name=kinds_0][value=pizza]').isChecked()).toBe(true);
    await form.locator('input[name=name_1]').fill('Froid');
    await form.locator('input[name=kinds_1][value=drink]').check();
    await form.locator('input[name=kinds_1][value=dessert]').check();
    await form.locator('input[name=name_2]').fill('Passe');
    await form.locator('input[name=pass][value="2"]').check();
    await form.getByRole('button').last().click();
    await form.getByRole('status').waitFor();
    const { rows } = await app.pool.query('SELECT name, is_pass, kinds::text[] AS kinds FROM kitchen_stations WHERE pizzeria_id = $1 ORDER BY position', [app.shop.id]);
    expect(rows).toEqual([
      { name: 'Four', is_pass: false, kinds: ['pizza'] },
      { name: 'Froid', is_pass: false, kinds: ['drink', 'dessert'] },
      { name: 'Passe', is_pass: true, kinds: [] },
    ]);
    // a mistake says why and changes nothing: the pizzas cannot go to two stations
    await form.locator('input[name=kinds_1][value=pizza]').check();
    await form.getByRole('button').last().click();
    await expect.poll(() => form.locator('.field-error').first().innerText()).toMatch(/Pizzas va déjà au poste Four/);
    expect((await app.pool.query('SELECT count(*)::int AS n FROM kitchen_stations WHERE pizzeria_id = $1 AND $2 = ANY(kinds::text[])', [app.shop.id, 'pizza'])).rows[0].n).toBe(1);
    await page.screenshot({ path: `${SHOTS}/manager-stations.png`, fullPage: true });
    await page.context().close();
    // no reload: the tablet's station picker is there
    await expect.poll(() => wall.getByTestId('stations').getByRole('button').allInnerTexts(), { timeout: 10_000 }).toEqual(['Tout', 'Four', 'Froid', 'Passe']);
    await wall.context().close();
  });

  it('each tablet sees its own lines; crossing off moves orders on; the pass lights them and sends them out', async () => {
    const oven = await tablet('Four');
    const cold = await tablet('Froid');
    const pass = await tablet('Passe');

    const a = await order('Inès', [['margherita', 2], ['coca-cola', 1]]);
    const b = await order('Hugo', [['reine', 1], ['tiramisu', 1]]);
    const c = await order('Léa', [['quatre-fromages', 1]]);
    await ticketOf(oven, c).waitFor();
    await ticketOf(cold, b).waitFor();
    await ticketOf(pass, c).waitFor();

    // the oven sees the pizzas only, and where else an order goes; the cold station its drinks and desserts
    expect(await linesOf(oven, a)).toEqual(['Margherita']);
    expect(await ticketOf(oven, a).getByTestId('also-at').innerText()).toMatch(/Froid/);
    expect(await ticketOf(oven, c).getByTestId('also-at').count()).toBe(0);
    expect(await linesOf(cold, a)).toEqual(['Coca-Cola 33 cl']);
    expect(await ticketOf(cold, c).count()).toBe(0);
    // the pass sees whole orders, with how far each station is
    expect(await linesOf(pass, a)).toEqual(['Margherita', 'Coca-Cola 33 cl']);
    expect(await ticketOf(pass, a).getByTestId('progress').innerText()).toMatch(/Four 0\/1.*Froid 0\/1/s);
    await oven.screenshot({ path: `${SHOTS}/kitchen-station-oven.png` });
    await cold.screenshot({ path: `${SHOTS}/kitchen-station-cold.png` });

    // the oven crosses off A's pizza with a tap (the tap starts the ticket): A leaves the oven, the pass sees the oven done
    await cookTap(oven, ticketOf(oven, a).locator('button.cross').first(), async () => (await ticketOf(oven, a).count()) === 0);
    await expect.poll(() => ticketOf(pass, a).getByTestId('progress').innerText()).toMatch(/Four ✓/);
    expect(await ticketOf(cold, a).getAttribute('data-status')).toBe('preparing');

    // the bump bar at the cold station: pick A (the first ticket) and cross its next line with X
    await cold.keyboard.press('1');
    await cold.keyboard.press('x');
    await ticketOf(cold, a).waitFor({ state: 'detached' });

    // every station is done with A: the pass lights it, first, and says it is ready
    await ticketOf(pass, a).getByTestId('lit').waitFor();
    expect(await pass.locator('[data-testid=make-line] article.ticket').first().getAttribute('data-number')).toBe(String(a));
    await pass.screenshot({ path: `${SHOTS}/kitchen-station-pass.png` });
    await cookTap(pass, ticketOf(pass, a).getByRole('button', { name: /Prête/ }), async () => (await pass.locator(`.pass article[data-number="${a}"]`).count()) === 1);
    // a make station has no pass strip: a ready order is not its business
    expect(await oven.locator('section.pass').count()).toBe(0);

    // a second tap un-crosses a line; a mis-tap at the oven is undone there and the pass follows
    await cookTap(oven, ticketOf(oven, b).locator('button.cross').first(), async () => (await ticketOf(oven, b).count()) === 0);
    await expect.poll(() => ticketOf(pass, b).getByTestId('progress').innerText()).toMatch(/Four ✓/);
    await cookTap(pass, ticketOf(pass, b).locator('button.cross').first(), async () => /Four 0\/1/.test(await ticketOf(pass, b).getByTestId('progress').innerText()));
    await ticketOf(oven, b).waitFor();

    // the tablet remembers its station after a reload
    await oven.reload();
    await live(oven);
    await expect.poll(() => oven.getByTestId('stations').getByRole('button', { name: 'Four', exact: true }).getAttribute('aria-pressed')).toBe('true');
    expect(await ticketOf(oven, b).count()).toBe(1);
    await oven.screenshot({ path: `${SHOTS}/kitchen-station-oven-after.png` });
    for (const p of [oven, cold, pass]) await p.context().close();
  });

  it("a delivery's ticket says when its driver is expected back at the shop, and that they are there", async () => {
    const driver = await new Client(app.base).login(app.shop.email('driver1'));
    const manager = await new Client(app.base).login(app.shop.email('manager'));
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await connectSocket(app.base, { cookie: driver.cookie });
    await subscribe(phone, { scope: 'driver' });
    // the shop is at 48.86, 2.37: the driver is 2 km north of it, nothing to deliver
    const share = (metresNorth: number) =>
      new Promise((resolve) => phone.emit('driver:position', { lat: 48.86 + metresNorth / 111_200, lng: 2.37, accuracy: 10, at: Date.now() }, resolve as never));
    await share(2000);
    try {
      const res = await fetch(`${app.base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          pizzeriaId: app.shop.id, fulfilment: 'delivery', customer: { name: 'Yanis', phone: '06 11 22 33 55' },
          address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736, locatedBy: 'pin' },
          items: [{ productId: await productId('margherita'), quantity: 1 }], payment: 'on_delivery',
        }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const { id, number } = await res.json();
      expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'preparing' })).status).toBe(200);
      expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'ready' })).status).toBe(200);
      // dispatch offers it to the driver on shift, who takes it (or the manager gives it to them)
      const driverId = (await app.pool.query('SELECT id FROM users WHERE email = $1', [app.shop.email('driver1')])).rows[0].id;
      await expect.poll(async () => {
        const o = (await manager.get(`/api/orders/${id}`)).body;
        if (o.offer?.driverId === driverId) await driver.post(`/api/orders/${id}/offer`, { accept: true });
        else if (!o.driver && !o.offer) await manager.post(`/api/orders/${id}/assign`, { driverId });
        return (await manager.get(`/api/orders/${id}`)).body.driver?.id;
      }, { timeout: 10_000 }).toBe(driverId);

      const { page } = await app.staffPage(app.shop.email('kitchen'), WALL);
      await page.goto(`${app.base}/kitchen`);
      await live(page);
      // ready, on the pass: who comes for it, and when
      const back = page.locator(`.pass article[data-number="${number}"]`).getByTestId('driver-coming');
      await expect.poll(() => back.textContent(), { timeout: 10_000 }).toMatch(/driver1 .* de retour \d\d:\d\d/);
      await page.screenshot({ path: `${SHOTS}/kitchen-driver-back.png` });
      // the driver rides in: the ticket says they are there
      await share(10);
      await expect.poll(() => back.textContent(), { timeout: 20_000 }).toMatch(/driver1 .* est là/);
      await page.context().close();
    } finally {
      phone.disconnect();
    }
  });

  it('an order the manager marks urgent goes first on the kitchen, marked; a ready bumped by mistake goes back to the oven with one tap', async () => {
    const first = await order('Malik', [['calzone', 1]]);
    const second = await order('Camille', [['reine', 1]]);
    const { page: wall } = await app.staffPage(app.shop.email('kitchen'), WALL);
    await wall.goto(`${app.base}/kitchen`);
    await live(wall);
    const numbers = () => wall.locator('[data-testid=make-line] article.ticket').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-number'))));
    await expect.poll(async () => (await numbers()).filter((n) => n === first || n === second)).toEqual([first, second]);

    // the manager marks the second one urgent on the live page
    const { page: desk } = await app.staffPage(app.shop.email('manager'), { width: 1280, height: 900 });
    await desk.goto(`${app.base}/manager`);
    await live(desk);
    await desk.locator(`tr[data-order]`).filter({ hasText: 'Camille' }).getByTestId('urgent').click();
    await desk.locator(`tr[data-order]`).filter({ hasText: 'Camille' }).getByTestId('urgent-mark').waitFor();
    // it comes first as soon as nobody's hand is on the wall (tickets never move under a finger)
    await expect.poll(async () => (await numbers())[0], { timeout: 10_000 }).toBe(second);
    await ticketOf(wall, second).getByTestId('urgent').waitFor();
    // a ticket that has just moved takes no tap for a moment (the cook aimed at what was there)
    await wall.locator(`article.ticket[data-number="${second}"]:not([data-moving])`).waitFor();

    // started and bumped ready by mistake: one tap takes it back to the oven, the customer's page follows
    await cookTap(wall, ticketOf(wall, second).getByRole('button', { name: 'Commencer' }), async () => (await ticketOf(wall, second).getAttribute('data-status')) === 'preparing');
    await cookTap(wall, ticketOf(wall, second).getByRole('button', { name: /Prête/ }), async () => (await statusOf(second)) === 'ready');
    const onPass = wall.locator(`.pass article[data-number="${second}"]`);
    await onPass.getByTestId('recall').click();
    await onPass.waitFor({ state: 'detached' });
    await expect.poll(() => ticketOf(wall, second).getAttribute('data-status')).toBe('preparing');
    await wall.screenshot({ path: `${SHOTS}/kitchen-urgent-recalled.png` });
    await desk.context().close();
    await wall.context().close();
  });

  it("the manager sets the shop's printer; a label comes out when an order is ready, the pass reprints it, and a printer gone dark says so on the wall", async () => {
    const printer = new FakePrinter();
    await printer.start();
    try {
      const { page: office } = await app.staffPage(app.shop.email('manager'), { width: 1280, height: 900 });
      await office.goto(`${app.base}/manager/shops/${app.shop.id}`);
      const form = office.getByTestId('printer-form');
      await form.locator('input[name=host]').fill('imprimante cuisine');
      await form.getByRole('button').click();
      await expect.poll(() => form.locator('.field-error').first().innerText()).toMatch(/sans espace/);
      // a port no printer opens is refused, with the field named
      await form.locator('input[name=host]').fill(printer.host);
      await form.locator('input[name=port]').fill('22');
      await form.getByRole('button').click();
      await expect.poll(() => form.locator('.field-error').first().innerText()).toMatch(/port d'impression/);
      await form.locator('input[name=port]').fill(String(printer.port));
      await form.getByRole('button').click();
      await form.getByRole('status').waitFor();
      await office.context().close();

      const { page: wall } = await app.staffPage(app.shop.email('kitchen'), WALL);
      await wall.goto(`${app.base}/kitchen`);
      await live(wall);
      const number = await order('Inès', [['diavola', 1]]);
      await cookTap(wall, ticketOf(wall, number).getByRole('button', { name: 'Commencer' }), async () => (await ticketOf(wall, number).getAttribute('data-status')) === 'preparing');
      await cookTap(wall, ticketOf(wall, number).getByRole('button', { name: /Prête/ }), async () => (await statusOf(number)) === 'ready');
      await expect.poll(() => printer.of(number).length, { timeout: 15_000 }).toBe(1);
      const onPass = wall.locator(`.pass article[data-number="${number}"]`);
      await onPass.getByTestId('reprint').click();
      await onPass.getByRole('status').filter({ hasText: /Étiquette envoyée/ }).waitFor();
      await expect.poll(() => printer.of(number).length, { timeout: 15_000 }).toBe(2);

      // the printer is switched off: the next label fails, and the wall says so
      await printer.stop();
      const next = await order('Hugo', [['margherita', 1]]);
      await cookTap(wall, ticketOf(wall, next).getByRole('button', { name: 'Commencer' }), async () => (await ticketOf(wall, next).getAttribute('data-status')) === 'preparing');
      await cookTap(wall, ticketOf(wall, next).getByRole('button', { name: /Prête/ }), async () => (await statusOf(next)) === 'ready');
      await wall.getByTestId('printer-down').waitFor({ timeout: 15_000 });
      expect(await wall.getByTestId('printer-down').innerText()).toMatch(/Imprimante en panne.*allumée et branchée/s);
      await wall.screenshot({ path: `${SHOTS}/kitchen-printer-down.png` });
      await wall.context().close();
    } finally {
      await printer.stop();
    }
  });
});
