// The menu a shop pushes, as each platform's own fake keeps it (tests/deliveroo-server.ts,
// tests/uber-eats-server.ts): what the law asks the platforms to show (EU 1169/2011: an extra's
// allergens too) and what they need (Deliveroo: an age-restricted item marked contains_alcohol;
// Uber: each item's VAT rate in tax_info, the delivered one). Read back from what each fake received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueMenuPush, useMarketplaceQueue } from '../../src/lib/server/flows/platform-decisions.ts';
import { addPestoPizza, removePestoPizza, type PestoPizza } from '../allergens-fixture.ts';
import { createShop, seededProduct, waitUntil } from '../helpers.ts';
import { FakeDeliveroo } from '../deliveroo-server.ts';
import { FakeUberEats } from '../uber-eats-server.ts';
import { useStack } from '../services.ts';

const roo = new FakeDeliveroo();
const uber = new FakeUberEats();
beforeAll(async () => {
  await Promise.all([roo.start(), uber.start()]);
});
afterAll(() => Promise.all([roo.stop(), uber.stop()]));
const stack = useStack({
  workers: true,
  env: () => ({
    LOG_LEVEL: 'error', ...uber.env(), DELIVEROO_CLIENT_ID: roo.clientId, DELIVEROO_CLIENT_SECRET: roo.clientSecret, DELIVEROO_WEBHOOK_SECRET: roo.webhookSecret,
    DELIVEROO_BRAND_ID: roo.brandId, DELIVEROO_API_URL: roo.url, DELIVEROO_AUTH_URL: roo.authUrl,
  }),
});
const LIVE = 15_000;

describe('the menu both platforms get', () => {
  it('carries the nut pesto extra’s allergen on both, the beer’s age check on Deliveroo and every item’s VAT rate on Uber', async () => {
    const pesto = await addPestoPizza(stack.pool, 'mkt-menus');
    // other test files read the same menu: the pizza taken off it again at the end
    try {
      // the can at 10 % taken away (poured into a cup), 5.5 % delivered: the platforms get the delivered rate
      await stack.pool.query('UPDATE products SET vat_rate_pickup = 10 WHERE id = $1', [seededProduct('coca-cola')]);
      await pushAndReadBack(pesto);
    } finally {
      await stack.pool.query('UPDATE products SET vat_rate_pickup = vat_rate_delivery WHERE id = $1', [seededProduct('coca-cola')]);
      await removePestoPizza(stack.pool, pesto);
    }
  });
});

/** A shop on both platforms, its menu pushed to each and read back from what each received. */
async function pushAndReadBack(pesto: PestoPizza) {
  const shop = await createShop(stack.pool, 'mkt-menus');
  const site = `site-${shop.slug}`;
  const store = `uber-${shop.slug}`;
  roo.addSite(site);
  await stack.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id) VALUES ('deliveroo', $1, $3), ('uber_eats', $2, $3)`, [site, store, shop.id]);
  useMarketplaceQueue(stack.workers.queues.marketplaces);
  await queueMenuPush(shop.id, 'deliveroo');
  await queueMenuPush(shop.id, 'uber_eats');
  await waitUntil(() => roo.sites.get(site)!.menuId && uber.store(store).menu, LIVE, 'the menu on both platforms');
  const onRoo = (id: string) => roo.menus.get(roo.sites.get(site)!.menuId!)!.menu.items.find((i: any) => i.id === id);
  const onUber = (id: string) => (uber.store(store).menu as any).items.find((i: any) => i.id === id);
  const extra = `o${pesto.pestoOptionId}`;

  expect(onRoo(extra)).toMatchObject({ type: 'CHOICE' });
  expect(onRoo(extra).allergies).toEqual(expect.arrayContaining(['nuts']));
  expect(onUber(extra).nutritional_info.allergens).toEqual(expect.arrayContaining(['nuts']));

  const beer = `p${seededProduct('peroni')}`;
  const margherita = `p${seededProduct('margherita')}`;
  expect(onRoo(beer)).toMatchObject({ contains_alcohol: true });
  expect(onRoo(margherita)).toMatchObject({ contains_alcohol: false });
  expect(onUber(beer)).toMatchObject({ tax_info: { tax_rate: 20 } });
  expect(onUber(margherita)).toMatchObject({ tax_info: { tax_rate: 10 } });
  expect(onUber(extra)).toMatchObject({ tax_info: { tax_rate: 10 } });
  // a sealed can: the platform's customer has it delivered, so its delivered rate (not the one taken away), and no alcohol
  const can = `p${seededProduct('coca-cola')}`;
  expect(onUber(can)).toMatchObject({ tax_info: { tax_rate: 5.5 } });
  expect(onRoo(can)).toMatchObject({ contains_alcohol: false });
}
