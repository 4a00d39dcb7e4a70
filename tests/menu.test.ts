// The chain's menu in the back office, against real Postgres, Redis and Socket.io: head office adds
// a pizza with its recipe, VAT and tags; its allergens follow the recipe and the ingredients; a new
// ingredient starts at zero in every shop (the pizza is not sold until a delivery); a changed recipe
// is what orders take from the stock; only head office may change it. Products and ingredients
// here are the test's own (the menu is the chain's: other tests' pizzas are left alone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { Client, connectSocket, createShop, placeThroughApi, startTestApp, subscribe, testPool, waitUntil, type TestSocket } from './helpers.ts';
import type { App } from '../server/app.ts';
import type { MenuAvailability } from '../src/lib/realtime/contract.ts';

let app: App;
let base: string;
let pool: pg.Pool;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  pool = testPool();
  ({ app, base } = await startTestApp());
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app?.close();
  await pool.end();
});

const ingredient = async (slug: string) => (await pool.query<{ id: number }>('SELECT id FROM ingredients WHERE slug = $1', [slug])).rows[0].id;
const tag = () => Math.random().toString(36).slice(2, 8);

describe('the menu', () => {
  it('head office adds a pizza with a new ingredient: allergens follow, nothing is sold until a delivery, then orders take the recipe from the stock', async () => {
    const admin = await new Client(base).login('admin@ocpizza.test');
    const shop = await createShop(pool, 'menu');
    const manager = await new Client(base).login(shop.email('manager'));
    const t = tag();

    const pistachio = await admin.post('/api/menu/ingredients', { slug: `pistache-${t}`, name: 'Crème de pistache', nameEn: 'Pistachio cream', unit: 'g', allergens: ['nuts', 'milk'] });
    expect(pistachio.status, JSON.stringify(pistachio.body)).toBe(201);
    expect(pistachio.body).toMatchObject({ unit: 'g', allergens: ['nuts', 'milk'], usedBy: 0 });
    const stocked = await pool.query('SELECT on_hand FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id]);
    expect(stocked.rows).toEqual([{ on_hand: 0 }]);

    const visitor = await connectSocket(base);
    sockets.push(visitor);
    const seen: MenuAvailability[] = [];
    visitor.on('menu:availability', (m) => seen.push(m));
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });
    const [pate, mozzarella] = [await ingredient('pate'), await ingredient('mozzarella')];
    const made = await admin.post('/api/menu/products', {
      slug: `pistacchio-${t}`, name: 'Pistacchio', description: 'Mozzarella, crème de pistache', category: 'pizza', priceCents: '15,90', vatRate: 10,
      tags: ['vegetarian'], steps: ['Étaler la crème', 'Cuire 90 s'],
      recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 100 }, { ingredientId: pistachio.body.id, quantity: 40 }],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ priceCents: 1590, vatRate: 10, tags: ['vegetarian'], allergens: ['gluten', 'milk', 'nuts'], active: true });
    // on the open menu at once, not sold yet: no pistachio in the shop
    await waitUntil(() => seen.some((m) => m.products.some((p) => p.id === made.body.id && !p.available)), 5000, 'the menu refreshed');
    const onMenu = (await new Client(base).get(`/api/pizzerias/${shop.id}/menu`)).body.find((p: { id: number }) => p.id === made.body.id);
    expect(onMenu).toMatchObject({ name: 'Pistacchio', priceCents: 1590, available: false, allergens: ['gluten', 'milk', 'nuts'], tags: ['vegetarian'] });

    // the delivery: 200 g, five pizzas' worth
    await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: pistachio.body.id, quantity: 200 });
    await waitUntil(() => seen.some((m) => m.products.some((p) => p.id === made.body.id && p.available && p.portions === 5)), 5000, 'sold at last');
    await placeThroughApi(base, { pizzeriaId: shop.id, productId: made.body.id, quantity: 2 });
    const held = await pool.query('SELECT reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id]);
    expect(held.rows[0].reserved).toBe(80);

    // a richer recipe: the next order takes 60 g a pizza; the allergen of a changed ingredient follows
    const richer = await admin.put(`/api/menu/products/${made.body.id}`, {
      ...made.body, priceCents: 1690, recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 100 }, { ingredientId: pistachio.body.id, quantity: 60 }],
      slug: undefined, id: undefined, allergens: undefined, photo: undefined,
    });
    expect(richer.status, JSON.stringify(richer.body)).toBe(200);
    await placeThroughApi(base, { pizzeriaId: shop.id, productId: made.body.id, quantity: 1 });
    expect((await pool.query('SELECT reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id])).rows[0].reserved).toBe(140);
    await admin.put(`/api/menu/ingredients/${pistachio.body.id}`, { name: 'Crème de pistache', unit: 'g', allergens: ['nuts'] });
    expect((await admin.get(`/api/menu/products/${made.body.id}`)).body.allergens).toEqual(['gluten', 'milk', 'nuts']);
    const { rows } = await pool.query(`SELECT action FROM audit_log WHERE entity IN ('product', 'ingredient') AND (entity_id = $1 OR entity_id = $2) ORDER BY id`, [String(made.body.id), String(pistachio.body.id)]);
    expect(rows.map((r) => r.action)).toEqual(['menu.ingredient_create', 'menu.product_create', 'menu.product_update', 'menu.ingredient_update']);
  });

  it('only head office changes the menu; bad input is refused with the field named, and changes nothing', async () => {
    const admin = await new Client(base).login('admin@ocpizza.test');
    const shop = await createShop(pool, 'menu-who');
    const manager = await new Client(base).login(shop.email('manager'));
    const pate = await ingredient('pate');
    const body = { slug: `x-${tag()}`, name: 'X', category: 'pizza', priceCents: 1000, vatRate: 10, recipe: [{ ingredientId: pate, quantity: 1 }] };
    expect((await manager.post('/api/menu/products', body)).status).toBe(403);
    expect((await manager.put(`/api/menu/ingredients/${pate}`, { name: 'Pâte', unit: 'piece', allergens: [] })).status).toBe(403);
    expect((await new Client(base).get('/api/menu/products')).status).toBe(401);
    for (const [bad, field] of [
      [{ ...body, priceCents: 'gratuit' }, 'priceCents'],
      [{ ...body, vatRate: 7 }, 'vatRate'],
      [{ ...body, tags: ['halal'] }, 'tags.0'],
      [{ ...body, recipe: [{ ingredientId: pate, quantity: 0 }] }, 'recipe.0.quantity'],
      [{ ...body, slug: 'Pas Un Slug' }, 'slug'],
      [{ ...body, recipe: [] }, 'recipe'],
      [{ ...body, recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: pate, quantity: 2 }] }, 'recipe'],
    ] as const) {
      const r = await admin.post('/api/menu/products', bad);
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], JSON.stringify(r.body)).toBeTruthy();
    }
    expect((await pool.query('SELECT 1 FROM products WHERE slug = $1', [body.slug])).rowCount).toBe(0);
    expect((await admin.post('/api/menu/ingredients', { slug: 'pate', name: 'Doublon', unit: 'g' })).status).toBe(409);
    expect((await admin.post('/api/menu/ingredients', { slug: `y-${tag()}`, name: 'Y', unit: 'kg' })).status).toBe(422);
  });
});

describe('product photos', () => {
  it('head office uploads a photo: resized to a 4:3 WebP, served with a year of cache; not an image, too large or not head office: refused', async () => {
    const { default: sharp } = await import('sharp');
    const admin = await new Client(base).login('admin@ocpizza.test');
    const pate = await ingredient('pate');
    const made = await admin.post('/api/menu/products', { slug: `photo-${tag()}`, name: 'Photo', category: 'pizza', priceCents: 1000, vatRate: 10, recipe: [{ ingredientId: pate, quantity: 1 }] });
    const png = await sharp({ create: { width: 1600, height: 1600, channels: 3, background: '#c33' } }).png().toBuffer();
    const upload = (client: Client, bytes: Buffer | string, type = 'image/png') =>
      fetch(`${base}/api/menu/products/${made.body.id}/photo`, { method: 'POST', headers: { 'content-type': type, cookie: client.cookie }, body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes) });

    const res = await upload(admin, png);
    expect(res.status).toBe(200);
    const product = await res.json();
    expect(product.photo).toMatch(/^products\/photo-[a-z0-9]+-[0-9a-f]{12}\.webp$/);
    const photo = await fetch(`${base}/media/${product.photo}`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/webp');
    expect(photo.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const meta = await sharp(Buffer.from(await photo.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 800, 600]);
    // on the storefront's menu
    const shop = await createShop(pool, 'photo');
    expect((await new Client(base).get(`/api/pizzerias/${shop.id}/menu`)).body.find((p: { id: number }) => p.id === made.body.id).photoUrl).toBe(`/media/${product.photo}`);

    expect((await upload(admin, 'not a photo at all', 'text/plain')).status).toBe(415);
    expect((await upload(admin, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(100)]))).status).toBe(415);
    expect((await upload(admin, Buffer.alloc(9 * 1024 * 1024, 1))).status).toBe(413);
    const manager = await new Client(base).login(shop.email('manager'));
    expect((await upload(manager, png)).status).toBe(403);
    expect((await admin.get(`/api/menu/products/${made.body.id}`)).body.photo).toBe(product.photo);
    for (const path of ['/media/products/..%2F..%2Fpackage.json', '/media/products/nothing-here.webp', '/media/products/x.png']) {
      expect((await fetch(base + path)).status, path).toBe(404);
    }
  });

  it('the seed gives every product of the demo menu a photo, drawn from its recipe', async () => {
    const { PRODUCTS } = await import('../db/catalogue.ts');
    const { rows } = await pool.query<{ slug: string; photo: string | null }>('SELECT slug, photo FROM products WHERE slug = ANY($1)', [PRODUCTS.map((p) => p.slug)]);
    expect(rows).toHaveLength(PRODUCTS.length);
    for (const r of rows) {
      expect(r.photo, r.slug).toMatch(/\.webp$/);
      expect((await fetch(`${base}/media/${r.photo}`)).status, r.slug).toBe(200);
    }
  });
});
