import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { seededProduct } from '../helpers.ts';

// Staff taps on a bad network, and the kitchen's wall screen, on the built app in Debian's Chromium.
// Everything happens at OC Pizza Montmartre, a shop no other browser test uses.
const SHOP = 'montmartre';
const TABLET = { width: 1280, height: 800 };
const app = useApp('taps', {
  // ten minutes: tickets change colour here only because the test dates them back
  PREP_TARGET_SECONDS: '600',
  DISPATCH_RETRY_MS: '500',
  // deliveries are assigned at once here (offers and their answers: tests/browser/road.test.ts)
  OFFER_TIMEOUT_SECONDS: '0',
  // the phone here shares no position (the page is about taps): presence is tests/road/presence.test.ts's
  DISPATCH_PRESENT_ONLY: 'false',
});
let shopId: number;

beforeAll(async () => {
  shopId = (await app.pool.query('SELECT id FROM pizzerias WHERE slug = $1', [SHOP])).rows[0].id;
  // driver1 alone will be on shift here, so we know who gets the delivery
  await app.pool.query(`UPDATE users SET on_shift = false WHERE role = 'driver' AND pizzeria_id = $1`, [shopId]);
});

async function staffPage(email: string, path: string, viewport = TABLET): Promise<{ ctx: BrowserContext; page: Page }> {
  const { ctx, page } = await app.staffPage(email, viewport);
  await page.goto(`${app.base}${path}`);
  await live(page);
  return { ctx, page };
}

interface Placed { id: string; number: number; trackingToken: string; version: number }

/** A customer's order, paid at the door, straight to the kitchen. */
async function order(
  items: [slug: string, quantity: number][],
  fulfilment: 'pickup' | 'delivery' = 'pickup',
  name = 'Inès',
  payment: 'on_delivery' | 'online' = 'on_delivery',
): Promise<Placed> {
  const res = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pizzeriaId: shopId,
      fulfilment,
      customer: { name, phone: '0611223344' },
      ...(fulfilment === 'delivery' ? { address: { street: '3 rue Lepic', postcode: '75018', city: 'Paris' } } : {}),
      items: await Promise.all(items.map(async ([slug, quantity]) => ({ productId: seededProduct(slug), quantity }))),
      payment,
    }),
  });
  expect(res.status).toBe(201);
  return res.json();
}

/** Staff moves made from outside the page under test (another tablet). */
async function staffApi(email: string) {
  const res = await fetch(`${app.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: inject('demoPassword') }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0];
  return async (id: string, to: string) => {
    const r = await fetch(`${app.base}/api/orders/${id}/status`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ to }) });
    expect(r.status, await r.clone().text()).toBe(200);
  };
}

async function statusOf(id: string): Promise<{ status: string; version: number; moves: number }> {
  const { rows } = await app.pool.query(
    `SELECT o.status, o.version, (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.status') AS moves FROM orders o WHERE o.id = $1`,
    [id],
  );
  return rows[0];
}

describe('kitchen taps on a bad network', () => {
  let kitchen: Page;
  let kitchenCtx: BrowserContext;

  beforeAll(async () => {
    ({ page: kitchen, ctx: kitchenCtx } = await staffPage(`kitchen.${SHOP}@ocpizza.test`, '/kitchen'));
  });

  it('a bump tapped while the tablet is offline waits on the ticket, then moves it once when the connection returns', async () => {
    const placed = await order([['margherita', 2]]);
    const ticket = kitchen.locator(`[data-column=received] article[data-order="${placed.id}"]`);
    await ticket.waitFor({ timeout: 15_000 });

    await kitchenCtx.setOffline(true);
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    await expect.poll(() => ticket.getAttribute('data-tap')).toBe('waiting');
    expect(await ticket.textContent()).toContain('En attente du réseau');
    expect(await kitchen.getByTestId('offline').textContent()).toContain('1 action attend le retour du réseau');
    await kitchen.screenshot({ path: `${SHOTS}/taps-1-kitchen-offline-waiting.png` });
    expect(await seriousViolations(kitchen)).toEqual([]);
    expect((await statusOf(placed.id)).status).toBe('received');

    await kitchenCtx.setOffline(false);
    const inOven = kitchen.locator(`[data-column=preparing] article[data-order="${placed.id}"]`);
    await inOven.waitFor({ timeout: 15_000 });
    await expect.poll(() => kitchen.getByTestId('offline').count(), { timeout: 15_000 }).toBe(0);
    expect(await kitchen.locator(`article[data-order="${placed.id}"]`).count()).toBe(1);
    const after = await statusOf(placed.id);
    expect(after).toMatchObject({ status: 'preparing', moves: 1, version: placed.version + 1 });
  });

  it('a bump the server fails says why in French, and its retry moves the ticket', async () => {
    const placed = await order([['reine', 1]]);
    const ticket = kitchen.locator(`article[data-order="${placed.id}"]`);
    await kitchen.locator(`[data-column=received] article[data-order="${placed.id}"]`).waitFor({ timeout: 15_000 });
    await kitchen.route(
      '**/api/orders/*/status',
      (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'try later' } }) }),
      { times: 1 },
    );
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    await expect.poll(() => ticket.getAttribute('data-tap')).toBe('failed');
    const alert = ticket.getByRole('alert');
    expect((await alert.textContent())?.replace(/\s+/g, ' ')).toContain(`Ticket n°${placed.number} : le serveur n'a pas pu l'enregistrer.`);
    await kitchen.screenshot({ path: `${SHOTS}/taps-2-kitchen-failed-retry.png` });
    expect(await seriousViolations(kitchen)).toEqual([]);
    expect((await statusOf(placed.id)).status).toBe('received');

    await ticket.getByRole('button', { name: 'Réessayer' }).click();
    await kitchen.locator(`[data-column=preparing] article[data-order="${placed.id}"]`).waitFor();
    expect(await statusOf(placed.id)).toMatchObject({ status: 'preparing', moves: 1 });
  });

  it('a tap on a ticket that changed meanwhile says so, offers no blind retry, and shows the ticket as it is', async () => {
    const placed = await order([['calzone', 1]]);
    const ticket = kitchen.locator(`article[data-order="${placed.id}"]`);
    await kitchen.locator(`[data-column=received] article[data-order="${placed.id}"]`).waitFor({ timeout: 15_000 });
    // the tap reaches the server with another version than the ticket has there (it changed meanwhile)
    await kitchen.route(
      '**/api/orders/*/status',
      (route) => {
        const body = JSON.parse(route.request().postData() ?? '{}');
        return route.continue({ postData: JSON.stringify({ ...body, version: body.version + 1 }) });
      },
      { times: 1 },
    );
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    await expect.poll(() => ticket.getAttribute('data-tap')).toBe('failed');
    expect(await ticket.getByRole('alert').textContent()).toContain('ce ticket a changé entre-temps');
    expect(await ticket.getByRole('button', { name: 'Réessayer' }).count()).toBe(0);
    expect((await statusOf(placed.id)).status).toBe('received');
    await ticket.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => ticket.getAttribute('data-tap')).toBeNull();
    // the ticket's own button still works: one move
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    await kitchen.locator(`[data-column=preparing] article[data-order="${placed.id}"]`).waitFor();
    expect(await statusOf(placed.id)).toMatchObject({ status: 'preparing', moves: 1 });
  });

  it('highlights what the customer changed until the cook has seen it, and keeps a cancelled ticket, marked', async () => {
    const changed = await order([['reine', 1], ['margherita', 1]], 'pickup', 'Hugo');
    const ticket = kitchen.locator(`[data-column=received] article[data-order="${changed.id}"]`);
    await ticket.waitFor({ timeout: 15_000 });
    const res = await fetch(`${app.base}/api/track/${changed.trackingToken}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ productId: seededProduct('margherita'), quantity: 2 }], version: changed.version }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const note = ticket.getByTestId('changes');
    await note.waitFor();
    expect(await note.textContent()).toContain('+1 Margherita, \u22121 Reine');
    expect(await ticket.getAttribute('class')).toContain('changed');

    const cancelled = await order([['diavola', 1]], 'pickup', 'Jade');
    const doomed = kitchen.locator(`[data-column=received] article[data-order="${cancelled.id}"]`);
    await doomed.waitFor({ timeout: 15_000 });
    expect((await fetch(`${app.base}/api/track/${cancelled.trackingToken}/cancel`, { method: 'POST' })).status).toBe(200);
    await expect.poll(() => doomed.getAttribute('data-age')).toBe('cancelled');
    expect(await doomed.textContent()).toContain('Annulée — ne pas préparer');
    expect(await doomed.getByRole('button', { name: 'Commencer' }).count()).toBe(0);
    await kitchen.screenshot({ path: `${SHOTS}/taps-3-kitchen-changed-cancelled.png` });
    expect(await seriousViolations(kitchen)).toEqual([]);

    await note.click();
    await expect.poll(() => ticket.getByTestId('changes').count()).toBe(0);
    await doomed.getByRole('button', { name: 'Retirer' }).click();
    await expect.poll(() => doomed.count()).toBe(0);
  });

  it('colours every column by the time since the order was received, ready tickets included, and shows the wait', async () => {
    const move = await staffApi(`kitchen.${SHOP}@ocpizza.test`);
    const fresh = await order([['napolitaine', 1]]);
    const oven = await order([['savoyarde', 1]]);
    const ready = await order([['orientale', 1], ['tiramisu', 2]]);
    await move(oven.id, 'preparing');
    await move(ready.id, 'preparing');
    await move(ready.id, 'ready');
    // on the wall for a while: 2, 7 and 12 minutes since each order was received (target 10)
    await app.pool.query(`UPDATE orders SET version = version + 1, received_at = now() - interval '2 minutes' WHERE id = $1`, [fresh.id]);
    await app.pool.query(`UPDATE orders SET version = version + 1, received_at = now() - interval '7 minutes', preparing_at = now() - interval '1 minute' WHERE id = $1`, [oven.id]);
    await app.pool.query(
      `UPDATE orders SET version = version + 1, received_at = now() - interval '12 minutes', preparing_at = now() - interval '9 minutes', ready_at = now() - interval '30 seconds' WHERE id = $1`,
      [ready.id],
    );
    await kitchen.reload();
    await live(kitchen);
    const at = (id: string) => kitchen.locator(`article[data-order="${id}"]`);
    await at(ready.id).waitFor();
    expect(await at(fresh.id).getAttribute('data-age')).toBe('fresh');
    expect(await at(oven.id).getAttribute('data-age')).toBe('ageing');
    expect(await at(ready.id).getAttribute('data-age')).toBe('late');
    expect(await at(ready.id).locator('.age').textContent()).toMatch(/^12:\d\d$/);
    expect(await at(oven.id).textContent()).toMatch(/au four 1:\d\d/);
    await kitchen.screenshot({ path: `${SHOTS}/taps-4-kitchen-wall.png` });

    // the same wall in English
    await kitchen.getByRole('button', { name: 'Switch to English' }).click();
    await kitchen.getByRole('heading', { name: /Kitchen/ }).waitFor();
    await live(kitchen);
    expect(await at(oven.id).textContent()).toMatch(/in the oven 1:\d\d/);
    expect(await at(ready.id).textContent()).toContain('Waiting');
    await kitchen.screenshot({ path: `${SHOTS}/taps-4-kitchen-wall-en.png` });
  });

  it('shows a delivery by the first name and the fulfilment: the page and its live ticket carry no phone, address or surname', async () => {
    const placed = await order([['margherita', 1]], 'delivery', 'Zoé Garnier');
    const ticket = kitchen.locator(`[data-column=received] article[data-order="${placed.id}"]`);
    await ticket.waitFor({ timeout: 15_000 });
    const shown = (await ticket.textContent())!;
    expect(shown).toContain('Zoé');
    expect(shown).toMatch(/Delivery|Livraison/);
    // the page as loaded (its snapshot, serialized in the HTML) carries none of it either
    const html = await (await kitchenCtx.request.get(`${app.base}/kitchen`)).text();
    expect(html).toContain(placed.id);
    for (const hidden of ['Garnier', '0611223344', '06 11 22 33 44', 'rue Lepic']) {
      expect(shown).not.toContain(hidden);
      expect(html).not.toContain(hidden);
    }
  });
});

describe('driver taps on a phone', () => {
  it('a shift switch and a pick-up tapped offline wait and go once; a failed delivery says why and retries', async () => {
    const { page: driver, ctx } = await staffPage(`driver1.${SHOP}@ocpizza.test`, '/driver', PHONE);
    const shift = driver.getByTestId('shift');
    expect(await shift.getAttribute('aria-pressed')).toBe('false');

    await ctx.setOffline(true);
    await shift.click();
    await expect.poll(() => shift.getAttribute('data-tap')).toBe('waiting');
    expect(await driver.locator('[data-tap=waiting]').count()).toBeGreaterThan(0);
    await driver.screenshot({ path: `${SHOTS}/taps-5-driver-offline-shift.png`, fullPage: true });
    await ctx.setOffline(false);
    await expect.poll(() => shift.getAttribute('aria-pressed'), { timeout: 15_000 }).toBe('true');
    const { rows } = await app.pool.query('SELECT on_shift FROM users WHERE email = $1', [`driver1.${SHOP}@ocpizza.test`]);
    expect(rows[0].on_shift).toBe(true);

    // a delivery leaves the kitchen and the dispatcher gives it to the driver on shift
    const move = await staffApi(`kitchen.${SHOP}@ocpizza.test`);
    const placed = await order([['reine', 1], ['coca-cola', 2]], 'delivery', 'Nadia Benali');
    await move(placed.id, 'preparing');
    await move(placed.id, 'ready');
    const card = driver.locator(`article.delivery[data-order="${placed.id}"]`);
    await card.waitFor({ timeout: 20_000 });
    await driver.screenshot({ path: `${SHOTS}/taps-6-driver-delivery.png`, fullPage: true });

    await ctx.setOffline(true);
    await card.getByRole('button', { name: /Récupérée/ }).click();
    await card.locator('[data-tap=waiting]').waitFor();
    expect(await card.textContent()).toContain('En attente du réseau');
    await driver.screenshot({ path: `${SHOTS}/taps-7-driver-offline-pickup.png`, fullPage: true });
    expect((await statusOf(placed.id)).status).toBe('ready');
    await ctx.setOffline(false);
    await expect.poll(() => card.getByRole('button', { name: /porte/ }).count(), { timeout: 15_000 }).toBe(1);
    expect(await statusOf(placed.id)).toMatchObject({ status: 'out_for_delivery', moves: 3 });

    await driver.route(
      '**/api/orders/*/deliver',
      (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'server_error', message: 'something went wrong' } }) }),
      { times: 1 },
    );
    const { rows: pins } = await app.pool.query('SELECT delivery_pin FROM orders WHERE id = $1', [placed.id]);
    await card.getByRole('button', { name: /porte/ }).click();
    await card.getByLabel('Code PIN du client').fill(pins[0].delivery_pin);
    await card.getByRole('button', { name: /^Livrée/ }).click();
    const failed = card.locator('[data-tap=failed]');
    await failed.waitFor();
    expect((await failed.textContent())?.replace(/\s+/g, ' ')).toContain(`Livraison n°${placed.number} : le serveur n'a pas pu l'enregistrer.`);
    await driver.screenshot({ path: `${SHOTS}/taps-8-driver-failed.png`, fullPage: true });
    expect(await seriousViolations(driver)).toEqual([]);
    await failed.getByRole('button', { name: 'Réessayer' }).click();
    await expect.poll(() => statusOf(placed.id), { timeout: 10_000 }).toMatchObject({ status: 'delivered', moves: 4 });
    await expect.poll(() => card.count()).toBe(0);
  });

  it('in a tunnel, the driver\'s page opens again from the phone\'s own copy, and goes live when the network returns', async () => {
    const { page: driver, ctx } = await staffPage(`driver2.${SHOP}@ocpizza.test`, '/driver', PHONE);
    // the page keeps itself on the phone: its service worker is installed and in charge
    const kept = await driver.evaluate(async () => {
      for (let i = 0; i < 150 && !navigator.serviceWorker.controller; i++) await new Promise((r) => setTimeout(r, 100));
      return navigator.serviceWorker.controller !== null;
    });
    expect(kept, 'a service worker in charge of the driver\'s page').toBe(true);
    const cut: string[] = [];
    ctx.on('requestfailed', (r) => void (r.serviceWorker() && cut.push(new URL(r.url()).pathname)));
    await ctx.setOffline(true);
    // the worker asked the network for the page and got nothing: the page comes from the phone
    const again = await driver.reload();
    expect(again?.fromServiceWorker()).toBe(true);
    expect(cut).toContain('/driver');
    const shift = driver.getByTestId('shift');
    await shift.waitFor();
    expect(await shift.getAttribute('aria-pressed')).toBe('false');
    expect(await driver.locator('[data-live]').first().getAttribute('data-live')).not.toBe('live');
    await driver.screenshot({ path: `${SHOTS}/taps-5b-driver-tunnel-reload.png` });
    await ctx.setOffline(false);
    await live(driver);
    await ctx.close();
  });
});

describe('counter taps', () => {
  it('a handover the server fails says why, and its retry hands the order over once', async () => {
    const { page: counter } = await staffPage(`counter.${SHOP}@ocpizza.test`, '/counter');
    const move = await staffApi(`kitchen.${SHOP}@ocpizza.test`);
    const placed = await order([['margherita', 1]], 'pickup', 'Zoé');
    await move(placed.id, 'preparing');
    await move(placed.id, 'ready');
    const line = counter.locator('.pickups li', { hasText: `n°${placed.number}` });
    // the pickup still owes its price: the counter says how it is paid as it hands it over
    const handOver = line.getByRole('button', { name: 'Remise · espèces' });
    await handOver.waitFor({ timeout: 15_000 });
    await counter.route(
      '**/api/orders/*/status',
      (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' }),
      { times: 1 },
    );
    await handOver.click();
    const failed = line.locator('[data-tap=failed]');
    await failed.waitFor();
    expect((await failed.textContent())?.replace(/\s+/g, ' ')).toContain(`Commande n°${placed.number} : le serveur n'a pas pu l'enregistrer.`);
    await counter.screenshot({ path: `${SHOTS}/taps-9-counter-failed.png` });
    expect(await seriousViolations(counter)).toEqual([]);
    await failed.getByRole('button', { name: 'Réessayer' }).click();
    await expect.poll(() => line.count(), { timeout: 10_000 }).toBe(0);
    expect(await statusOf(placed.id)).toMatchObject({ status: 'collected', moves: 3 });
  });

  it('the counter marks a pickup urgent: it goes first with its mark; a mark the server fails says why, and its retry marks it', async () => {
    const { page: counter } = await staffPage(`counter.${SHOP}@ocpizza.test`, '/counter');
    const older = await order([['margherita', 1]], 'pickup', 'Aline');
    const placed = await order([['margherita', 1]], 'pickup', 'Yves');
    const line = counter.locator('.pickups:not(.payments) li', { hasText: `n°${placed.number}` });
    await line.waitFor({ timeout: 15_000 });
    await counter.locator('.pickups:not(.payments) li', { hasText: `n°${older.number}` }).waitFor();
    const numbers = async () => (await counter.locator('.pickups:not(.payments) li strong').allTextContents()).map((n) => Number(n.replace('n°', '')));
    expect((await numbers()).indexOf(placed.number)).toBeGreaterThan((await numbers()).indexOf(older.number));
    await counter.route('**/api/orders/*/urgent', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' }), { times: 1 });
    await line.getByRole('button', { name: 'Urgent', exact: true }).click();
    const failed = line.locator('[data-tap=failed]');
    await failed.waitFor();
    expect((await failed.textContent())?.replace(/\s+/g, ' ')).toContain(`Commande n°${placed.number} : le serveur n'a pas pu l'enregistrer.`);
    await failed.getByRole('button', { name: 'Réessayer' }).click();
    await line.getByTestId('urgent-mark').waitFor();
    // first in the list, marked, and the button now takes the mark off
    expect((await numbers())[0]).toBe(placed.number);
    expect(await line.getByRole('button', { name: 'Plus urgent' }).getAttribute('aria-pressed')).toBe('true');
    await counter.screenshot({ path: `${SHOTS}/taps-9b-counter-urgent.png` });
    expect(await seriousViolations(counter)).toEqual([]);
    const { rows } = await app.pool.query(`SELECT urgent, (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.urgent') AS marks FROM orders o WHERE id = $1`, [placed.id]);
    expect(rows[0]).toEqual({ urgent: true, marks: 1 });
  });

  it('an online payment that did not go through is settled at the counter: staff say how it was paid, and the order goes to the kitchen', async () => {
    const { page: counter } = await staffPage(`counter.${SHOP}@ocpizza.test`, '/counter');
    const placed = await order([['margherita', 2]], 'pickup', 'Basile Carte', 'online');
    const line = counter.locator('.payments li', { hasText: `n°${placed.number}` });
    await line.waitFor({ timeout: 15_000 });
    await counter.screenshot({ path: `${SHOTS}/taps-11-counter-pending-payment.png`, fullPage: true });
    expect(await seriousViolations(counter)).toEqual([]);
    await line.getByRole('button', { name: 'carte' }).click();
    await expect.poll(() => line.count(), { timeout: 10_000 }).toBe(0);
    const { rows } = await app.pool.query('SELECT status, paid_with, paid_cents, total_cents FROM orders WHERE id = $1', [placed.id]);
    expect(rows[0]).toMatchObject({ status: 'received', paid_with: 'card', paid_cents: rows[0].total_cents });
    // now a pickup in progress, nothing left to collect
    const pickup = counter.locator('.pickups:not(.payments) li', { hasText: `n°${placed.number}` });
    await pickup.waitFor();
    expect(await pickup.textContent()).toContain('à encaisser 0,00');
  });

  it('an order taken while the counter is offline waits, then is placed once when the connection returns', async () => {
    const { page: counter, ctx } = await staffPage(`counter.${SHOP}@ocpizza.test`, '/counter');
    const name = 'Léon Horsligne';
    const placedCount = async () => (await app.pool.query('SELECT count(*)::int AS n FROM orders WHERE customer_name = $1', [name])).rows[0].n;
    await counter.locator('[data-product=margherita] button').click();
    await counter.fill('input[name=name]', name);
    await counter.fill('input[name=phone]', '06 98 76 54 32');
    await ctx.setOffline(true);
    await counter.locator('button.place').click();
    await counter.locator('.taker [data-tap=waiting]').waitFor();
    expect(await counter.locator('.taker [data-tap=waiting]').textContent()).toContain('la commande est gardée');
    expect(await counter.locator('button.place').textContent()).toContain('En attente du réseau');
    await counter.screenshot({ path: `${SHOTS}/taps-10-counter-order-offline.png`, fullPage: true });
    expect(await placedCount()).toBe(0);
    await ctx.setOffline(false);
    await counter.locator('.confirm').waitFor({ timeout: 15_000 });
    expect(await placedCount()).toBe(1);
    expect(await counter.locator('.taker [data-tap=waiting]').count()).toBe(0);
  });
});
