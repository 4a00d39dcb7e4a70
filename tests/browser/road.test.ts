import { afterAll, describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, connectSocket, type TestSocket } from '../helpers.ts';

// The road, in the built app and Chromium: a driver's phone (a real page with its GPS) and a
// simulated driver (a phone's socket moving along a street) on the manager's live map; dispatch
// offers the delivery to the nearest driver, who accepts it on the phone; the manager gives
// another to the simulated driver from the orders table; the customer's tracking page shows the
// driver on the map and, while the order is on its way, its arrival window from the driver's own
// road, and the PIN that the driver types at the door. A shop of the test's own, so no other
// test's drivers or orders count.
const app = useApp('road', { DISPATCH_RETRY_MS: '300', OFFER_TIMEOUT_SECONDS: '90', PREP_TARGET_SECONDS: '600' }, { shop: 'road' });
let simulated: TestSocket | undefined;
let moving: NodeJS.Timeout | undefined;
// hooks run last registered first after the tests: the simulated phone stops before the app
afterAll(() => {
  clearInterval(moving);
  simulated?.disconnect();
});

const SHOP_AT = { lat: 48.86, lng: 2.37 };
const userId = async (email: string) => (await app.pool.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email])).rows[0].id;

/** An order a customer placed from their phone with the spot pinned on the map, then baked by the kitchen. */
async function readyOrder(kitchen: Client, name: string, spot: { lat: number; lng: number }) {
  const { rows } = await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'reine'`);
  const placed = await new Client(app.base).post('/api/orders', {
    pizzeriaId: app.shop.id,
    fulfilment: 'delivery',
    customer: { name, phone: '06 11 22 33 44' },
    address: { street: '12 rue de la Roquette', postcode: '75011', city: 'Paris', ...spot, locatedBy: 'pin', doorCode: '4B21', floor: '3e gauche' },
    items: [{ productId: rows[0].id, quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  for (const to of ['preparing', 'ready']) expect((await kitchen.post(`/api/orders/${placed.body.id}/status`, { to })).status).toBe(200);
  return placed.body as { id: string; number: number; trackingToken: string };
}

/** Where a Leaflet marker is drawn on the page (its transform), to see it move. */
const drawnAt = (page: import('playwright-core').Page, marker: string) =>
  page.locator(`[data-marker="${marker}"]`).evaluate((el) => (el as HTMLElement).style.transform);

describe('the road, live', () => {
  it('drivers move on the manager map; the nearest accepts the offer on the phone; the customer follows the driver, then gives the PIN at the door', async () => {
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    const driver1 = await userId(app.shop.email('driver1'));
    const driver2 = await userId(app.shop.email('driver2'));

    // the manager's live map
    const { page: manager } = await app.staffPage(app.shop.email('manager'), DESKTOP);
    await manager.goto(`${app.base}/manager`);
    await live(manager);
    await manager.getByTestId('fleet-map').waitFor();

    // driver 1: a real phone page, its GPS at the shop's door, on shift
    const { ctx: phoneCtx, page: phone } = await app.staffPage(app.shop.email('driver1'), PHONE);
    await phoneCtx.grantPermissions(['geolocation'], { origin: app.base });
    await phoneCtx.setGeolocation({ latitude: SHOP_AT.lat + 0.0002, longitude: SHOP_AT.lng, accuracy: 8 });
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    await phone.getByTestId('shift').click();
    await expect.poll(() => phone.getByTestId('gps').getAttribute('data-gps'), { timeout: 15_000 }).toBe('on');

    // driver 2: a simulated phone riding down from two kilometres north, a position a second
    const sim = await new Client(app.base).login(app.shop.email('driver2'));
    await sim.post('/api/driver/shift', { onShift: true });
    simulated = await connectSocket(app.base, { cookie: sim.cookie });
    let simAt = { lat: SHOP_AT.lat + 0.018, lng: SHOP_AT.lng + 0.004 };
    const ride = (to: { lat: number; lng: number }) => {
      clearInterval(moving);
      moving = setInterval(() => {
        simAt = { lat: simAt.lat + (to.lat - simAt.lat) * 0.08, lng: simAt.lng + (to.lng - simAt.lng) * 0.08 };
        simulated!.emit('driver:position', { lat: simAt.lat, lng: simAt.lng, accuracy: 10, at: Date.now() } as never, (() => {}) as never);
      }, 1000);
    };
    ride({ lat: SHOP_AT.lat + 0.012, lng: SHOP_AT.lng + 0.003 });

    // both on the map; the simulated one moves
    await manager.locator(`[data-marker="driver-${driver1}"]`).waitFor({ timeout: 20_000 });
    await manager.locator(`[data-marker="driver-${driver2}"]`).waitFor({ timeout: 20_000 });
    const before = await drawnAt(manager, `driver-${driver2}`);
    await expect.poll(() => drawnAt(manager, `driver-${driver2}`), { timeout: 10_000 }).not.toBe(before);

    // an order ready: offered to the nearest driver, the phone at the shop, with a countdown
    const a = await readyOrder(kitchen, 'Inès Moreau', { lat: 48.8655, lng: 2.3785 });
    const offer = phone.getByTestId('offer').filter({ hasText: `n°${a.number}` });
    await offer.waitFor({ timeout: 20_000 });
    expect(await offer.getByTestId('countdown').textContent()).toMatch(/\d+ s pour répondre/);
    // before accepting, the street and how far: not the number, the door code, the phone nor the customer's surname
    const offered = (await offer.textContent())!.replace(/\s+/g, ' ');
    expect(offered).toContain('rue de la Roquette, Paris');
    expect(offered).toMatch(/à \d+,\d km de la boutique/);
    for (const hidden of ['12 rue', '4B21', '3e gauche', '06 11 22 33 44', 'Moreau']) expect(offered).not.toContain(hidden);
    await phone.screenshot({ path: `${SHOTS}/road-1-driver-offer.png`, fullPage: true });
    await offer.getByRole('button', { name: 'Accepter' }).click();
    const card = phone.locator(`article.delivery[data-order="${a.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    // accepted: the whole address, the door code and the phone
    await expect.poll(async () => (await card.textContent())!.replace(/\s+/g, ' ')).toContain('12 rue de la Roquette, 75011 Paris');
    expect(await card.textContent()).toContain('4B21');
    expect(await card.textContent()).toContain('06 11 22 33 44');

    // another order: the manager gives it by hand to the simulated driver from the orders table
    const b = await readyOrder(kitchen, 'Hugo Lefèvre', { lat: 48.8545, lng: 2.3655 });
    const select = manager.locator(`tr[data-order="${b.id}"] [data-testid=assign]`);
    await select.waitFor({ timeout: 10_000 });
    await expect.poll(() => select.locator(`option[value="${driver2}"]`).count(), { timeout: 20_000 }).toBe(1);
    await select.selectOption(String(driver2));
    await expect.poll(async () => (await app.pool.query('SELECT driver_id FROM orders WHERE id = $1', [b.id])).rows[0].driver_id, { timeout: 10_000 }).toBe(driver2);
    // the simulated driver picks it up and rides to the customer: a line from the driver to the door
    expect((await sim.post(`/api/orders/${b.id}/status`, { to: 'out_for_delivery' })).status).toBe(200);
    ride({ lat: 48.8545, lng: 2.3655 });
    await manager.locator(`[data-marker="customer-${b.id}"]`).waitFor({ timeout: 15_000 });
    await expect.poll(() => manager.locator('.leaflet-overlay-pane path').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    await expect.poll(() => manager.locator(`[data-driver="${driver2}"]`).getAttribute('data-state'), { timeout: 15_000 }).toBe('delivering');

    // driver 1 picks up: the customer's page shows the driver on the map and the window the driver's road gives
    const customerCtx = await app.browser.newContext({ viewport: PHONE });
    const customer = await customerCtx.newPage();
    await customer.goto(`${app.base}/track/${a.trackingToken}`);
    await live(customer);
    expect(await customer.getByTestId('track-map').count()).toBe(0); // not before pick-up
    await card.getByRole('button', { name: /Récupérée/ }).click();
    await customer.getByTestId('track-map').waitFor({ timeout: 15_000 });
    // on the way: the phone moves towards the customer and shares it
    await phoneCtx.setGeolocation({ latitude: 48.8630, longitude: 2.3750, accuracy: 8 });
    await customer.locator('[data-marker="driver"]').waitFor({ timeout: 20_000 });
    // its one time now comes from the driver's own road to the door
    await expect.poll(() => customer.getByTestId('eta').getAttribute('data-from'), { timeout: 10_000 }).toBe('driver');
    expect(await customer.getByTestId('window').textContent()).toMatch(/^Arrivée prévue entre \d\d:\d\d et \d\d:\d\d$/);
    expect(await customer.getByTestId('driver-on-way').textContent()).toMatch(/est en route avec votre commande/);
    await customer.screenshot({ path: `${SHOTS}/road-2-tracking-driver-on-map.png`, fullPage: true });
    await manager.screenshot({ path: `${SHOTS}/road-3-manager-live-map.png`, fullPage: true });
    await phone.screenshot({ path: `${SHOTS}/road-4-driver-on-the-way.png`, fullPage: true });

    // at the door: the customer reads the PIN, the driver types it, and the map goes away
    await phoneCtx.setGeolocation({ latitude: 48.8655, longitude: 2.3784, accuracy: 8 });
    await expect.poll(() => customer.getByTestId('eta').textContent(), { timeout: 20_000 }).toMatch(/Votre livreur arrive à votre porte/);
    // one word for where the driver is: not "on the way" beside it
    expect(await customer.getByTestId('driver-on-way').count()).toBe(0);
    const pin = (await customer.getByTestId('delivery-pin').textContent())!.replace(/\D/g, '');
    await card.getByRole('button', { name: /porte/ }).click();
    await card.getByLabel('Code PIN du client').fill(pin);
    await card.getByRole('button', { name: /^Livrée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/Livrée/);
    await expect.poll(() => customer.getByTestId('track-map').count()).toBe(0);
    const { rows } = await app.pool.query('SELECT proof_kind, collected_method FROM orders WHERE id = $1', [a.id]);
    expect(rows[0]).toEqual({ proof_kind: 'pin', collected_method: 'cash' });
    await customer.screenshot({ path: `${SHOTS}/road-5-tracking-delivered.png`, fullPage: true });
    // the day's figures count it
    await expect.poll(() => manager.getByTestId('figures').textContent(), { timeout: 20_000 }).toMatch(/Servies aujourd'hui\s*1/);
    await customerCtx.close();
  });

  it('failing a delivery on the phone takes the reason, then a confirmation: the reason alone fails nothing', async () => {
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    const manager = await new Client(app.base).login(app.shop.email('manager'));
    const rider = await new Client(app.base).login(app.shop.email('driver1'));
    await rider.post('/api/driver/shift', { onShift: true });
    const o = await readyOrder(kitchen, 'Léa Roux', { lat: 48.8655, lng: 2.3785 });
    expect((await manager.post(`/api/orders/${o.id}/assign`, { driverId: await userId(app.shop.email('driver1')) })).status).toBe(200);
    expect((await rider.post(`/api/orders/${o.id}/status`, { to: 'out_for_delivery' })).status).toBe(200);

    const { ctx, page: phone } = await app.staffPage(app.shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    const card = phone.locator(`article.delivery[data-order="${o.id}"]`);
    await card.getByRole('button', { name: /porte/ }).click();
    await card.getByRole('button', { name: 'Livraison impossible' }).click();
    await card.getByRole('button', { name: 'Client absent' }).click();
    // the tap on the reason asks; nothing is sent
    const confirm = card.getByTestId('confirm-fail');
    await confirm.waitFor();
    expect((await confirm.textContent())!.replace(/\s+/g, ' ')).toContain(`Livraison n°${o.number} échouée : Client absent ?`);
    expect(await card.getByRole('button', { name: 'Client absent' }).getAttribute('aria-pressed')).toBe('true');
    await phone.screenshot({ path: `${SHOTS}/road-6-driver-confirm-failure.png` });
    const status = async () => (await app.pool.query('SELECT status, awaiting_decision FROM orders WHERE id = $1', [o.id])).rows[0];
    expect(await status()).toEqual({ status: 'out_for_delivery', awaiting_decision: false });
    // changing one's mind keeps the delivery
    await card.getByRole('button', { name: 'Non, garder la livraison' }).click();
    expect(await card.getByTestId('confirm-fail').count()).toBe(0);
    expect(await status()).toEqual({ status: 'out_for_delivery', awaiting_decision: false });
    // the reason, then the confirmation: back to the shop, which decides
    await card.getByRole('button', { name: 'Livraison impossible' }).click();
    await card.getByRole('button', { name: 'Client absent' }).click();
    await card.getByRole('button', { name: 'Oui, la livraison a échoué' }).click();
    await expect.poll(status, { timeout: 15_000 }).toEqual({ status: 'ready', awaiting_decision: true });
    expect((await app.pool.query('SELECT delivery_failure FROM orders WHERE id = $1', [o.id])).rows[0].delivery_failure).toBe('absent');
    await ctx.close();
  });

  it('after five wrong PINs the phone asks for the manager, who closes the delivery from the live page', async () => {
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    const boss = await new Client(app.base).login(app.shop.email('manager'));
    const rider = await new Client(app.base).login(app.shop.email('driver1'));
    await rider.post('/api/driver/shift', { onShift: true });
    const o = await readyOrder(kitchen, 'Nina Petit', { lat: 48.8655, lng: 2.3785 });
    expect((await boss.post(`/api/orders/${o.id}/assign`, { driverId: await userId(app.shop.email('driver1')) })).status).toBe(200);
    expect((await rider.post(`/api/orders/${o.id}/status`, { to: 'out_for_delivery' })).status).toBe(200);
    const { rows: [row] } = await app.pool.query('SELECT delivery_pin, amount_due_cents FROM orders WHERE id = $1', [o.id]);
    const wrongPin = String((Number(row.delivery_pin) + 1) % 10_000).padStart(4, '0');
    for (let i = 0; i < 5; i++) await rider.post(`/api/orders/${o.id}/deliver`, { proof: { pin: wrongPin }, collected: { amountCents: row.amount_due_cents, method: 'cash' } });

    const { ctx: phoneCtx, page: phone } = await app.staffPage(app.shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    const card = phone.locator(`article.delivery[data-order="${o.id}"]`);
    await card.getByRole('button', { name: /porte/ }).click();
    expect(await card.getByTestId('pin-locked').textContent()).toMatch(/appelez votre responsable/);
    expect(await card.getByLabel('Code PIN du client').count()).toBe(0);
    await phone.screenshot({ path: `${SHOTS}/road-7-driver-pin-locked.png` });

    const { ctx: managerCtx, page: manager } = await app.staffPage(app.shop.email('manager'), DESKTOP);
    await manager.goto(`${app.base}/manager`);
    await live(manager);
    const locked = manager.getByTestId('pin-locked').locator(`[data-order="${o.id}"]`);
    await locked.waitFor({ timeout: 15_000 });
    expect(await locked.textContent()).toContain('06 11 22 33 44');
    await manager.screenshot({ path: `${SHOTS}/road-8-manager-pin-locked.png` });
    manager.once('dialog', (d) => void d.accept());
    await locked.getByRole('button', { name: /Espèces/ }).click();
    await expect.poll(async () => (await app.pool.query('SELECT status, proof_kind, collected_method FROM orders WHERE id = $1', [o.id])).rows[0], { timeout: 15_000 })
      .toEqual({ status: 'delivered', proof_kind: 'manager', collected_method: 'cash' });
    expect((await app.pool.query(`SELECT action FROM audit_log WHERE entity = 'order' AND entity_id = $1`, [o.id])).rows).toEqual([{ action: 'delivery.closed_by_manager' }]);
    await expect.poll(() => manager.getByTestId('pin-locked').count()).toBe(0);
    await phoneCtx.close();
    await managerCtx.close();
  });
});
