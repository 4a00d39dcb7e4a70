import type pg from 'pg';
import { hashPassword } from '../src/lib/server/staff/auth.ts';
import { mediaStoreFrom, productPhoto, type MediaStore } from '../src/lib/server/shops/media.ts';
import { parseConfig } from '../src/lib/server/kernel/config.ts';
import { drawProduct } from './photos.ts';
import type { Role } from '../src/lib/domain/order-states.ts';
import type { ProductKind } from '../src/lib/domain/product-kinds.ts';
import { ALLERGENS, ALLERGEN_KINDS_OF, CATEGORIES, DEMO_COMPANY, INGREDIENTS, PIZZA_OPTIONS, PIZZERIAS, PRODUCTS, STAFF_ROLES, TAGS, WITHOUT, vatRatesOf } from './catalogue.ts';

const ROLE_NAMES: Record<(typeof STAFF_ROLES)[number], [string, Exclude<Role, 'admin'>]> = {
  manager: ['Responsable', 'manager'],
  kitchen: ['Cuisine', 'kitchen'],
  counter: ['Comptoir', 'counter'],
  driver1: ['Livreur 1', 'driver'],
  driver2: ['Livreur 2', 'driver'],
};

/** The demo shops that work with kitchen stations, and the stations they have. */
const STATION_SHOPS = ['bastille', 'montmartre'];
// demo data in the domain's words, each station's own kinds (ProductKind checks them): not a copy of the list
/* eslint-disable project/named-once */
const DEMO_STATIONS: [name: string, isPass: boolean, kinds: ProductKind[]][] = [
  ['Four', false, ['pizza']],
  ['Froid', false, ['drink', 'dessert']],
  ['Passe', true, []],
];
/* eslint-enable project/named-once */

/**
 * Loads the demo chain. Re-running it updates the catalogue and accounts in place;
 * stock is only set for rows that do not exist yet (a shop's real stock is never reset).
 */
export async function seed(pool: pg.Pool, password: string, media: MediaStore = mediaStoreFrom(parseConfig())): Promise<void> {
  const photos = await keepPhotos(media);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await seedShops(client);
    const ing = await seedIngredients(client);
    await seedMenu(client, ing, photos);
    const shops: ShopRow[] = (await client.query('SELECT id, slug FROM pizzerias')).rows;
    await seedStations(client, shops);
    await seedStock(client, shops, ing);
    await seedStaff(client, shops, password);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

interface ShopRow {
  id: number;
  slug: string;
}

/** Every product's photo, drawn from its recipe, kept in the media store before the transaction: slug → key. */
async function keepPhotos(media: MediaStore): Promise<Map<string, string>> {
  const photos = new Map<string, string>();
  for (const p of PRODUCTS) {
    const { key, webp } = await productPhoto(p.slug, Buffer.from(drawProduct(p.slug, p.category, Object.keys(p.recipe))), { allowSvg: true });
    await media.put(key, webp);
    photos.set(p.slug, key);
  }
  return photos;
}

async function seedShops(client: pg.PoolClient) {
  for (const p of PIZZERIAS) {
    await client.query(
      // the demo's Bastille accepts titres-restaurant on Sundays and public holidays (its staff work
      // then), so the demo shows a voucher any day; set once, a manager's later choice stays
      `INSERT INTO pizzerias (slug, name, address, lat, lng, phone, legal_name, siret, vat_number, meal_vouchers_on_closed_days) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, lat = EXCLUDED.lat, lng = EXCLUDED.lng, phone = EXCLUDED.phone,
         legal_name = EXCLUDED.legal_name, siret = EXCLUDED.siret, vat_number = EXCLUDED.vat_number`,
      [p.slug, p.name, p.address, p.lat, p.lng, p.phone, DEMO_COMPANY.legalName, p.siret, DEMO_COMPANY.vatNumber, p.slug === 'bastille'],
    );
  }
}

/** The ingredients and their allergens: slug → id. */
async function seedIngredients(client: pg.PoolClient): Promise<Map<string, number>> {
  for (const [slug, [name, unit, , nameEn]] of Object.entries(INGREDIENTS)) {
    await client.query(
      `INSERT INTO ingredients (slug, name, unit, name_en, allergens, allergen_kinds) VALUES ($1,$2,$3,$4,$5,$6)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, unit = EXCLUDED.unit, name_en = EXCLUDED.name_en, allergens = EXCLUDED.allergens,
         allergen_kinds = EXCLUDED.allergen_kinds`,
      [slug, name, unit, nameEn, ALLERGENS[slug] ?? [], ALLERGEN_KINDS_OF[slug] ?? []],
    );
  }
  return new Map((await client.query('SELECT id, slug FROM ingredients')).rows.map((r) => [r.slug, r.id]));
}

/** The menu's sections and products, with their recipes and a pizza's options. */
async function seedMenu(client: pg.PoolClient, ing: Map<string, number>, photos: Map<string, string>) {
  // the sections head office may since have renamed or reordered keep what it did
  for (const [n, [slug, name, nameEn]] of CATEGORIES.entries()) {
    await client.query('INSERT INTO categories (slug, name, name_en, position) VALUES ($1,$2,$3,$4) ON CONFLICT (slug) DO NOTHING', [slug, name, nameEn, n + 1]);
  }
  const section = new Map((await client.query('SELECT id, slug FROM categories')).rows.map((r) => [r.slug, r.id]));
  for (const [i, p] of PRODUCTS.entries()) {
    const { rows } = await client.query(
      `INSERT INTO products (slug, name, description, category, price_cents, steps, sort_order, name_en, description_en, steps_en, tags, vat_rate_pickup, vat_rate_delivery, category_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, category = EXCLUDED.category,
         price_cents = EXCLUDED.price_cents, steps = EXCLUDED.steps, sort_order = EXCLUDED.sort_order,
         name_en = EXCLUDED.name_en, description_en = EXCLUDED.description_en, steps_en = EXCLUDED.steps_en,
         tags = EXCLUDED.tags, vat_rate_pickup = EXCLUDED.vat_rate_pickup, vat_rate_delivery = EXCLUDED.vat_rate_delivery
       RETURNING id`,
      [
        p.slug, p.name, p.description, p.category, p.price, p.steps ?? [], i, p.en.name ?? null, p.en.description, p.en.steps ?? null,
        TAGS[p.slug] ?? [], vatRatesOf(p.slug).pickup, vatRatesOf(p.slug).delivery, section.get(CATEGORIES.find((c) => c[3] === p.category)![0]),
      ],
    );
    await client.query('UPDATE products SET photo = coalesce(photo, $2) WHERE id = $1', [rows[0].id, photos.get(p.slug)]);
    await client.query('DELETE FROM recipe_ingredients WHERE product_id = $1', [rows[0].id]);
    for (const [ingredient, qty] of Object.entries(p.recipe)) {
      await client.query('INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity) VALUES ($1,$2,$3)', [rows[0].id, ing.get(ingredient), qty]);
    }
    if (p.category === 'pizza') await seedOptions(client, rows[0].id, Object.keys(p.recipe), ing);
  }
}

/**
 * Two demo shops work with kitchen stations (an oven, a cold station, a pass), the others with one
 * screen for everything; stations a manager has since set are kept.
 */
async function seedStations(client: pg.PoolClient, shops: ShopRow[]) {
  for (const shop of shops.filter((s) => STATION_SHOPS.includes(s.slug))) {
    const { rows: existing } = await client.query('SELECT 1 FROM kitchen_stations WHERE pizzeria_id = $1', [shop.id]);
    if (existing.length) continue;
    for (const [position, [name, isPass, kinds]] of DEMO_STATIONS.entries()) {
      await client.query('INSERT INTO kitchen_stations (pizzeria_id, name, is_pass, position, kinds) VALUES ($1, $2, $3, $4, $5::product_category[])', [shop.id, name, isPass, position, kinds]);
    }
  }
}

/** Each shop's opening stock, for the rows that do not exist yet (a shop's real stock is never reset). */
async function seedStock(client: pg.PoolClient, shops: ShopRow[], ing: Map<string, number>) {
  for (const shop of shops) {
    for (const [slug, [, , qty]] of Object.entries(INGREDIENTS)) {
      await client.query(
        `INSERT INTO stock (pizzeria_id, ingredient_id, on_hand, low_threshold) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
        [shop.id, ing.get(slug), qty, Math.ceil(qty / 5)],
      );
    }
  }
}

/** Head office's admin and each shop's staff, all with the demo password. */
async function seedStaff(client: pg.PoolClient, shops: ShopRow[], password: string) {
  const hashFor = () => hashPassword(password);
  await client.query(
    `INSERT INTO users (email, password_hash, name, role, pizzeria_id, password_set_at) VALUES ('admin@ocpizza.test', $1, 'Siège OC Pizza', 'admin', NULL, now())
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, password_set_at = now()`,
    [await hashFor()],
  );
  for (const shop of shops) {
    const shopName = PIZZERIAS.find((p) => p.slug === shop.slug)?.name.replace('OC Pizza ', '') ?? shop.slug;
    for (const key of STAFF_ROLES) {
      const [label, role] = ROLE_NAMES[key];
      await client.query(
        `INSERT INTO users (email, password_hash, name, role, pizzeria_id, password_set_at) VALUES ($1,$2,$3,$4,$5, now())
         ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, name = EXCLUDED.name, role = EXCLUDED.role, pizzeria_id = EXCLUDED.pizzeria_id, password_set_at = now()`,
        [`${key}.${shop.slug}@ocpizza.test`, await hashFor(), `${label} ${shopName}`, role, shop.id],
      );
    }
  }
}

/** A pizza's sizes, extras and "without" choices, the first time only (head office's edits are kept). */
async function seedOptions(client: pg.PoolClient, productId: number, recipe: string[], ing: Map<string, number>) {
  const { rows } = await client.query('SELECT 1 FROM product_options WHERE product_id = $1 LIMIT 1', [productId]);
  if (rows[0]) return;
  let position = 0;
  for (const o of PIZZA_OPTIONS) {
    const { rows: made } = await client.query(
      'INSERT INTO product_options (product_id, kind, name, name_en, price_cents, position) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id',
      [productId, o.kind, o.name, o.nameEn, o.price, ++position],
    );
    for (const [slug, qty] of Object.entries(o.adds)) {
      await client.query('INSERT INTO option_ingredients (option_id, ingredient_id, quantity) VALUES ($1,$2,$3)', [made[0].id, ing.get(slug), qty]);
    }
  }
  for (const slug of recipe.filter((s) => WITHOUT[s])) {
    await client.query(
      `INSERT INTO product_options (product_id, kind, name, name_en, removes_ingredient_id, position) VALUES ($1,'without',$2,$3,$4,$5)`,
      [productId, WITHOUT[slug][0], WITHOUT[slug][1], ing.get(slug), ++position],
    );
  }
}
