import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { DESKTOP, PHONE, SHOTS, live, startApp, type App } from './harness.ts';
import { Client, connectSocket, createShop, type TestSocket } from '../helpers.ts';

// The road, in the built app and Chromium: a driver's phone (a real page with its GPS) and a
// simulated driver (a phone's socket moving along a street) on the manager's live map; dispatch
// offers the delivery to the nearest driver, who accepts it on the phone; the manager gives
// another to the simulated driver from the orders table; the customer's tracking page shows the
// driver on the map and the minutes left while the order is on its way, and the PIN that the
// driver types at the door. A shop of the test's own, so no other test's drivers or orders count.
let app: App;
let pool: pg.Pool;
let base: string;
let shop: Awaited<ReturnType<typeof createShop>>;
let simulated: TestSocket | undefined;
let moving: NodeJS.Timeout | undefined;

beforeAll(async () => {
  app = await startApp('road', { DISPATCH_RETRY_MS: '300', OFFER_TIMEOUT_SECONDS: '90', PREP_TARGET_SECONDS: '600' });
  ({ pool, base } = app);
  shop = await createShop(pool, 'road');
}, 60_000);

afterAll(async () => {
  clearInterval(moving);
  simulated?.disconnect();
  await app?.stop();
});

const SHOP_AT = { lat: 48.86, lng: 2.37 };
const userId = async (email: string) => (await pool.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email])).rows[0].id;

/** An order a customer placed from their phone with the spot pinned on the map, then baked by the kitchen. */
async function readyOrder(kitchen: Client, name: string, spot: { lat: number; lng: number }) {
  const { rows } = await pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'reine'`);
  const placed = await new Client(base).post('/api/orders', {
    pizzeriaId: shop.id,
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
    const kitchen = await new Client(base).login(shop.email('kitchen'));
    const driver1 = await userId(shop.email('driver1'));
    const driver2 = await userId(shop.email('driver2'));

    // the manager's live map
    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    await manager.goto(`${base}/manager`);
    await live(manager);
    await manager.getByTestId('fleet-map').waitFor();

    // driver 1: a real phone page, its GPS at the shop's door, on shift
    const { ctx: phoneCtx, page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phoneCtx.grantPermissions(['geolocation'], { origin: base });
    await phoneCtx.setGeolocation({ latitude: SHOP_AT.lat + 0.0002, longitude: SHOP_AT.lng, accuracy: 8 });
    await phone.goto(`${base}/driver`);
    await live(phone);
    await phone.getByTestId('shift').click();
    await expect.poll(() => phone.getByTestId('gps').getAttribute('data-gps'), { timeout: 15_000 }).toBe('on');

    // driver 2: a simulated phone riding down from two kilometres north, a position a second
    const sim = await new Client(base).login(shop.email('driver2'));
    await sim.post('/api/driver/shift', { onShift: true });
    simulated = await connectSocket(base, { cookie: sim.cookie });
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
    await phone.screenshot({ path: `${SHOTS}/road-1-driver-offer.png`, fullPage: true });
    await offer.getByRole('button', { name: 'Accepter' }).click();
    const card = phone.locator(`article.delivery[data-order="${a.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.textContent()).toContain('4B21');

    // another order: the manager gives it by hand to the simulated driver from the orders table
    const b = await readyOrder(kitchen, 'Hugo Lefèvre', { lat: 48.8545, lng: 2.3655 });
    const select = manager.locator(`tr[data-order="${b.id}"] [data-testid=assign]`);
    await select.waitFor({ timeout: 10_000 });
    await expect.poll(() => select.locator(`option[value="${driver2}"]`).count(), { timeout: 20_000 }).toBe(1);
    await select.selectOption(String(driver2));
    await expect.poll(async () => (await pool.query('SELECT driver_id FROM orders WHERE id = $1', [b.id])).rows[0].driver_id, { timeout: 10_000 }).toBe(driver2);
    // the simulated driver picks it up and rides to the customer: a line from the driver to the door
    expect((await sim.post(`/api/orders/${b.id}/status`, { to: 'out_for_delivery' })).status).toBe(200);
    ride({ lat: 48.8545, lng: 2.3655 });
    await manager.locator(`[data-marker="customer-${b.id}"]`).waitFor({ timeout: 15_000 });
    await expect.poll(() => manager.locator('.leaflet-overlay-pane path').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    await expect.poll(() => manager.locator(`[data-driver="${driver2}"]`).getAttribute('data-state'), { timeout: 15_000 }).toBe('delivering');

    // driver 1 picks up: the customer's page shows the driver on the map and the minutes left
    const customerCtx = await app.browser.newContext({ viewport: PHONE });
    const customer = await customerCtx.newPage();
    await customer.goto(`${base}/track/${a.trackingToken}`);
    await live(customer);
    expect(await customer.getByTestId('track-map').count()).toBe(0); // not before pick-up
    await card.getByRole('button', { name: /Récupérée/ }).click();
    await customer.getByTestId('track-map').waitFor({ timeout: 15_000 });
    // on the way: the phone moves towards the customer and shares it
    await phoneCtx.setGeolocation({ latitude: 48.8630, longitude: 2.3750, accuracy: 8 });
    await customer.locator('[data-marker="driver"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => customer.getByTestId('eta').textContent(), { timeout: 10_000 }).toMatch(/Votre livreur est à \d+ minutes?/);
    await customer.screenshot({ path: `${SHOTS}/road-2-tracking-driver-on-map.png`, fullPage: true });
    await manager.screenshot({ path: `${SHOTS}/road-3-manager-live-map.png`, fullPage: true });
    await phone.screenshot({ path: `${SHOTS}/road-4-driver-on-the-way.png`, fullPage: true });

    // at the door: the customer reads the PIN, the driver types it, and the map goes away
    await phoneCtx.setGeolocation({ latitude: 48.8655, longitude: 2.3784, accuracy: 8 });
    await expect.poll(() => customer.getByTestId('eta').textContent(), { timeout: 20_000 }).toMatch(/à votre porte/);
    const pin = (await customer.getByTestId('delivery-pin').textContent())!.replace(/\D/g, '');
    await card.getByRole('button', { name: /porte/ }).click();
    await card.getByLabel('Code PIN du client').fill(pin);
    await card.getByRole('button', { name: /^Livrée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/Livrée/);
    await expect.poll(() => customer.getByTestId('track-map').count()).toBe(0);
    const { rows } = await pool.query('SELECT proof_kind, collected_method FROM orders WHERE id = $1', [a.id]);
    expect(rows[0]).toEqual({ proof_kind: 'pin', collected_method: 'cash' });
    await customer.screenshot({ path: `${SHOTS}/road-5-tracking-delivered.png`, fullPage: true });
    // the day's figures count it
    await expect.poll(() => manager.getByTestId('figures').textContent(), { timeout: 20_000 }).toMatch(/Servies aujourd'hui\s*1/);
    await customerCtx.close();
  }, 90_000);
});
