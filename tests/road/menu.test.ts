// The chain's menu in the back office, against real Postgres, Redis and Socket.io: head office adds
// a pizza with its recipe, VAT and tags; its allergens follow the recipe and the ingredients; a new
// ingredient starts at zero in every shop (the pizza is not sold until a delivery); a changed recipe
// is what orders take from the stock; only head office may change it. Products and ingredients
// here are the test's own (the menu is the chain's: other tests' pizzas are left alone).
import { describe, expect, it } from 'vitest';
import { Client, connectSocket, createShop, move, placeThroughApi, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { foldConsumedStock } from '../../src/lib/server/orders/index.ts';
import type { MenuAvailability } from '../../src/lib/shapes/views.ts';

const stack = useStack();

const ingredient = async (slug: string) => (await stack.pool.query<{ id: number }>('SELECT id FROM ingredients WHERE slug = $1', [slug])).rows[0].id;
const tag = () => Math.random().toString(36).slice(2, 8);

describe('the menu', () => {
  it('head office adds a pizza with a new ingredient: allergens follow, nothing is sold until a delivery, then orders take the recipe from the stock', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const shop = await createShop(stack.pool, 'menu');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const t = tag();

    const pistachio = await admin.post('/api/menu/ingredients', { slug: `pistache-${t}`, name: 'Crème de pistache', nameEn: 'Pistachio cream', unit: 'g', allergens: ['nuts', 'milk'] });
    expect(pistachio.status, JSON.stringify(pistachio.body)).toBe(201);
    expect(pistachio.body).toMatchObject({ unit: 'g', allergens: ['nuts', 'milk'], usedBy: 0 });
    const stocked = await stack.pool.query('SELECT on_hand FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id]);
    expect(stocked.rows).toEqual([{ on_hand: 0 }]);

    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const seen: MenuAvailability[] = [];
    visitor.on('menu:availability', (m) => seen.push(m));
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });
    const [pate, mozzarella] = [await ingredient('pate'), await ingredient('mozzarella')];
    const made = await admin.post('/api/menu/products', {
      slug: `pistacchio-${t}`, name: 'Pistacchio', description: 'Mozzarella, crème de pistache', category: 'pizza', priceCents: '15,90', vatRates: { pickup: 10, delivery: 10 },
      tags: ['vegetarian'], steps: ['Étaler la crème', 'Cuire 90 s'],
      recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 100 }, { ingredientId: pistachio.body.id, quantity: 40 }],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ priceCents: 1590, vatRates: { pickup: 10, delivery: 10 }, tags: ['vegetarian'], allergens: ['gluten', 'milk', 'nuts'], active: true });
    // on the open menu at once, not sold yet: no pistachio in the shop
    await waitUntil(() => seen.some((m) => m.products.some((p) => p.id === made.body.id && !p.available)), 5000, 'the menu refreshed');
    const onMenu = (await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu`)).body.find((p: { id: number }) => p.id === made.body.id);
    expect(onMenu).toMatchObject({ name: 'Pistacchio', priceCents: 1590, available: false, allergens: ['gluten', 'milk', 'nuts'], tags: ['vegetarian'] });

    // the delivery: 200 g, five pizzas' worth
    await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: pistachio.body.id, quantity: 200 });
    await waitUntil(() => seen.some((m) => m.products.some((p) => p.id === made.body.id && p.available && p.portions === 5)), 5000, 'sold at last');
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: made.body.id, quantity: 2 });
    const held = await stack.pool.query('SELECT reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id]);
    expect(held.rows[0].reserved).toBe(80);

    // a richer recipe: the next order takes 60 g a pizza; the allergen of a changed ingredient follows
    const richer = await admin.put(`/api/menu/products/${made.body.id}`, {
      ...made.body, priceCents: 1690, recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 100 }, { ingredientId: pistachio.body.id, quantity: 60 }],
      slug: undefined, id: undefined, allergens: undefined, photo: undefined, options: undefined,
    });
    expect(richer.status, JSON.stringify(richer.body)).toBe(200);
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: made.body.id, quantity: 1 });
    expect((await stack.pool.query('SELECT reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, pistachio.body.id])).rows[0].reserved).toBe(140);
    await admin.put(`/api/menu/ingredients/${pistachio.body.id}`, { name: 'Crème de pistache', unit: 'g', allergens: ['nuts'] });
    expect((await admin.get(`/api/menu/products/${made.body.id}`)).body.allergens).toEqual(['gluten', 'milk', 'nuts']);
    const { rows } = await stack.pool.query(`SELECT action FROM audit_log WHERE entity IN ('product', 'ingredient') AND (entity_id = $1 OR entity_id = $2) ORDER BY id`, [String(made.body.id), String(pistachio.body.id)]);
    expect(rows.map((r) => r.action)).toEqual(['menu.ingredient_create', 'menu.product_create', 'menu.product_update', 'menu.ingredient_update']);
  });

  it('only head office changes the menu; bad input is refused with the field named, and changes nothing', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const shop = await createShop(stack.pool, 'menu-who');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const pate = await ingredient('pate');
    const body = { slug: `x-${tag()}`, name: 'X', category: 'pizza', priceCents: 1000, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] };
    expect((await manager.post('/api/menu/products', body)).status).toBe(403);
    expect((await manager.put(`/api/menu/ingredients/${pate}`, { name: 'Pâte', unit: 'piece', allergens: [] })).status).toBe(403);
    expect((await new Client(stack.base).get('/api/menu/products')).status).toBe(401);
    for (const [bad, field] of [
      [{ ...body, priceCents: 'gratuit' }, 'priceCents'],
      [{ ...body, vatRates: { pickup: 7, delivery: 10 } }, 'vatRates.pickup'],
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
    expect((await stack.pool.query('SELECT 1 FROM products WHERE slug = $1', [body.slug])).rowCount).toBe(0);
    expect((await admin.post('/api/menu/ingredients', { slug: 'pate', name: 'Doublon', unit: 'g' })).status).toBe(409);
    expect((await admin.post('/api/menu/ingredients', { slug: `y-${tag()}`, name: 'Y', unit: 'kg' })).status).toBe(422);
  });

  it('head office names the cereal and the nut (annex II): only a known kind, only on an ingredient of its group; a bad one is refused and changes nothing', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const flour = await admin.post('/api/menu/ingredients', { slug: `farine-${tag()}`, name: 'Farine de seigle', unit: 'g', allergens: ['gluten'], allergenKinds: ['rye'] });
    expect(flour.status, JSON.stringify(flour.body)).toBe(201);
    expect(flour.body).toMatchObject({ allergens: ['gluten'], allergenKinds: ['rye'] });
    // pine nuts are no tree nut under the regulation; wheat on an ingredient without gluten; a nut on the flour
    for (const [bad, field] of [
      [{ name: 'Farine de seigle', unit: 'g', allergens: ['gluten'], allergenKinds: ['pine_nuts'] }, 'allergenKinds.0'],
      [{ name: 'Farine de seigle', unit: 'g', allergens: ['milk'], allergenKinds: ['wheat'] }, 'allergenKinds'],
      [{ name: 'Farine de seigle', unit: 'g', allergens: ['gluten'], allergenKinds: ['rye', 'hazelnuts'] }, 'allergenKinds'],
    ] as const) {
      const r = await admin.put(`/api/menu/ingredients/${flour.body.id}`, bad);
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], JSON.stringify(r.body)).toBeTruthy();
    }
    expect((await admin.post('/api/menu/ingredients', { slug: `noix-${tag()}`, name: 'Noix', unit: 'g', allergens: ['milk'], allergenKinds: ['walnuts'] })).status).toBe(422);
    const { rows } = await stack.pool.query('SELECT allergens, allergen_kinds FROM ingredients WHERE id = $1', [flour.body.id]);
    expect(rows).toEqual([{ allergens: ['gluten'], allergen_kinds: ['rye'] }]);
    // the database keeps the rule too, whatever writes to it
    await expect(stack.pool.query(`UPDATE ingredients SET allergen_kinds = '{almonds}' WHERE id = $1`, [flour.body.id])).rejects.toThrow(/check/i);
    // a kind taken off, the group alone stays
    const plain = await admin.put(`/api/menu/ingredients/${flour.body.id}`, { name: 'Farine de seigle', unit: 'g', allergens: ['gluten'] });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ allergens: ['gluten'], allergenKinds: [] });
  });
});

describe('options: sizes, extras, ingredients left out', () => {
  it("an option's extra ingredient is reserved and consumed like the base recipe; one left out is not taken; the ticket names them", async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const shop = await createShop(stack.pool, 'options');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const t = tag();
    const [pate, mozzarella, basilic] = [await ingredient('pate'), await ingredient('mozzarella'), await ingredient('basilic')];
    // the extra's ingredient is new: every shop has none of it yet
    const nduja = (await admin.post('/api/menu/ingredients', { slug: `nduja-${t}`, name: 'Nduja', unit: 'g', allergens: [] })).body;
    const pizza = (
      await admin.post('/api/menu/products', {
        slug: `opt-${t}`, name: 'Margherita options', category: 'pizza', priceCents: 1000, vatRates: { pickup: 10, delivery: 10 },
        recipe: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 100 }, { ingredientId: basilic, quantity: 5 }],
      })
    ).body;
    const option = async (body: Record<string, unknown>) => {
      const r = await admin.post(`/api/menu/products/${pizza.id}/options`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body as { id: number };
    };
    const large = await option({ kind: 'size', name: 'Grande', nameEn: 'Large', priceCents: '4,00', ingredients: [{ ingredientId: pate, quantity: 1 }, { ingredientId: mozzarella, quantity: 60 }] });
    const extra = await option({ kind: 'extra', name: 'Supplément nduja', priceCents: 250, ingredients: [{ ingredientId: nduja.id, quantity: 30 }] });
    const noBasil = await option({ kind: 'without', name: 'Sans basilic', removesIngredientId: basilic });

    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const seen: MenuAvailability[] = [];
    visitor.on('menu:availability', (m) => seen.push(m));
    await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id });
    const onMenu = async () => (await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu?lang=en`)).body.find((p: { id: number }) => p.id === pizza.id);
    // sold, but not with the extra: the shop has no nduja
    expect((await onMenu()).options).toEqual([
      // each option with the allergens its own ingredients bring (the size's dough and mozzarella, the dough's wheat named), and what a "without" takes out
      { id: large.id, kind: 'size', name: 'Large', priceCents: 400, available: true, allergens: ['gluten', 'milk'], kinds: ['wheat'], removesIngredientId: null },
      { id: extra.id, kind: 'extra', name: 'Supplément nduja', priceCents: 250, available: false, allergens: [], kinds: [], removesIngredientId: null },
      { id: noBasil.id, kind: 'without', name: 'Sans basilic', priceCents: 0, available: true, allergens: [], kinds: [], removesIngredientId: basilic },
    ]);
    const withExtra = { items: [{ productId: pizza.id, quantity: 2, options: [extra.id, large.id] }], fulfilment: 'pickup' as const };
    const short = await new Client(stack.base).post('/api/orders', { pizzeriaId: shop.id, customer: { name: 'Lou', phone: '0612345678' }, payment: 'on_delivery', ...withExtra });
    expect(short.status, JSON.stringify(short.body)).toBe(409);
    expect(short.body.error.code).toBe('unavailable');

    // 100 g of nduja arrive: the open menu offers the extra at once
    await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: nduja.id, quantity: 100 });
    await waitUntil(() => seen.some((m) => m.products.some((p) => p.id === pizza.id && p.unavailableOptions.length === 0)), 5000, 'the extra offered');

    const held = async (id: number) =>
      (await stack.pool.query('SELECT on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, id])).rows[0] as { on_hand: number; reserved: number };
    const mozzarellaBefore = await held(mozzarella);
    const big = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: 0, ...withExtra });
    expect(big.total).toBe(2 * (1000 + 400 + 250));
    expect(await held(nduja.id)).toEqual({ on_hand: 100, reserved: 60 });
    expect((await held(mozzarella)).reserved - mozzarellaBefore.reserved).toBe(2 * 160);
    expect((await held(pate)).reserved).toBe(4);
    // without basil: the basil stays free
    const basilBefore = (await held(basilic)).reserved;
    const plain = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: 0, items: [{ productId: pizza.id, quantity: 1, options: [noBasil.id] }], fulfilment: 'pickup' });
    expect(plain.total).toBe(1000);
    expect((await held(basilic)).reserved).toBe(basilBefore);
    // a third with the extra would need 30 g more than the 40 g left: refused, naming the pizza
    const third = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, customer: { name: 'Lou', phone: '0612345678' }, payment: 'on_delivery', fulfilment: 'pickup',
      items: [{ productId: pizza.id, quantity: 2, options: [extra.id] }],
    });
    expect(third.status).toBe(409);
    expect(third.body.error.items).toEqual([{ productId: pizza.id, name: 'Margherita options' }]);

    // the kitchen's ticket names the options; starting the order consumes the extra like the base
    const ticket = (await kitchen.get(`/api/orders/${big.id}`)).body;
    expect(ticket.items).toEqual([
      expect.objectContaining({
        quantity: 2,
        unitPriceCents: 1650,
        options: [
          { id: large.id, kind: 'size', name: 'Grande', nameEn: 'Large', priceCents: 400 },
          { id: extra.id, kind: 'extra', name: 'Supplément nduja', nameEn: null, priceCents: 250 },
        ],
      }),
    ]);
    await move(kitchen, big.id, 'preparing');
    await foldConsumedStock(stack.pool);
    expect(await held(nduja.id)).toEqual({ on_hand: 40, reserved: 0 });
    // the customer changes their mind before the kitchen starts: large now, basil back in
    const changed = await new Client(stack.base).patch(`/api/track/${plain.trackingToken}`, { items: [{ productId: pizza.id, quantity: 1, options: [large.id] }], version: plain.version });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.totalCents).toBe(1400);
    expect(changed.body.items[0].options.map((o: { id: number }) => o.id)).toEqual([large.id]);
    expect((await held(pate)).reserved).toBe(2);
    expect((await held(basilic)).reserved).toBe(5);
    // a cancelled order gives its options' ingredients back
    await move(manager, plain.id, 'cancelled');
    expect((await held(pate)).reserved).toBe(0);
  });

  it('refuses options that do not fit: two sizes, an option of another product, a "without" of an ingredient the recipe lacks', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const shop = await createShop(stack.pool, 'options-bad');
    const t = tag();
    const [pate, olives] = [await ingredient('pate'), await ingredient('olives')];
    const made = async (slug: string) =>
      (await admin.post('/api/menu/products', { slug: `${slug}-${t}`, name: slug, category: 'pizza', priceCents: 900, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] })).body;
    const [a, b] = [await made('a'), await made('b')];
    const s1 = (await admin.post(`/api/menu/products/${a.id}/options`, { kind: 'size', name: 'Grande', priceCents: 300 })).body;
    const s2 = (await admin.post(`/api/menu/products/${a.id}/options`, { kind: 'size', name: 'Géante', priceCents: 600 })).body;
    const other = (await admin.post(`/api/menu/products/${b.id}/options`, { kind: 'size', name: 'Grande', priceCents: 300 })).body;
    const order = (options: number[]) =>
      new Client(stack.base).post('/api/orders', {
        pizzeriaId: shop.id, customer: { name: 'Lou', phone: '0612345678' }, payment: 'on_delivery', fulfilment: 'pickup',
        items: [{ productId: a.id, quantity: 1, options }],
      });
    for (const options of [[s1.id, s2.id], [other.id], [2_000_000_000]]) {
      const r = await order(options);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.fields.items).toBeTruthy();
    }
    expect((await order(Array.from({ length: 11 }, (_, i) => i + 1))).status).toBe(422);
    for (const [bad, field] of [
      [{ kind: 'without', name: 'Sans olives', removesIngredientId: olives }, 'removesIngredientId'],
      [{ kind: 'without', name: 'Sans pâte' }, 'removesIngredientId'],
      [{ kind: 'without', name: 'Sans pâte', removesIngredientId: pate, priceCents: 100 }, 'priceCents'],
      [{ kind: 'extra', name: 'Rien', priceCents: 100 }, 'ingredients'],
      [{ kind: 'extra', name: 'Cher', priceCents: 9999, ingredients: [{ ingredientId: olives, quantity: 10 }] }, 'priceCents'],
      [{ kind: 'bonus', name: 'X' }, 'kind'],
    ] as const) {
      const r = await admin.post(`/api/menu/products/${a.id}/options`, bad);
      expect(r.status, field).toBe(422);
      expect(r.body.error.fields[field], JSON.stringify(r.body)).toBeTruthy();
    }
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post(`/api/menu/products/${a.id}/options`, { kind: 'size', name: 'X' })).status).toBe(403);
    expect((await manager.delete(`/api/menu/options/${s1.id}`)).status).toBe(403);
    // changed, then removed: an open basket holding it is refused, the order already placed keeps it
    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: 0, fulfilment: 'pickup', items: [{ productId: a.id, quantity: 1, options: [s1.id] }] });
    expect((await admin.put(`/api/menu/options/${s1.id}`, { kind: 'size', name: 'Grande (40 cm)', priceCents: 350 })).status).toBe(200);
    expect((await admin.delete(`/api/menu/options/${s1.id}`)).status).toBe(204);
    expect((await order([s1.id])).status).toBe(422);
    const kept = await stack.pool.query('SELECT options FROM order_items WHERE order_id = $1', [placed.id]);
    expect(kept.rows[0].options).toEqual([{ id: s1.id, kind: 'size', name: 'Grande', nameEn: null, priceCents: 300 }]);
  });
});

describe('categories: the storefront tabs', () => {
  it('head office adds a category, moves it first and puts a product in it; a category with products cannot be removed', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const shop = await createShop(stack.pool, 'categories');
    const t = tag();
    const made = await admin.post('/api/menu/categories', { slug: `saison-${t}`, name: 'Pizzas de saison', nameEn: 'Seasonal pizzas' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ids = async () => ((await admin.get('/api/menu/categories')).body as { id: number }[]).map((c) => c.id);
    const before = await ids();
    expect(before.at(-1)).toBe(made.body.id);
    // up, one place at a time, until first
    for (let i = 0; i < before.length; i++) await admin.post(`/api/menu/categories/${made.body.id}/move`, { direction: 'up' });
    expect(await ids()).toEqual([made.body.id, ...before.slice(0, -1)]);
    const pate = await ingredient('pate');
    const product = (
      await admin.post('/api/menu/products', {
        slug: `automne-${t}`, name: 'Automne', category: 'pizza', categoryId: made.body.id, priceCents: 1400, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }],
      })
    ).body;
    expect(product.categoryId).toBe(made.body.id);
    // a product sent without its category keeps the one it has
    const renamed = await admin.put(`/api/menu/products/${product.id}`, { name: 'Automne', category: 'pizza', priceCents: 1450, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] });
    expect(renamed.body.categoryId).toBe(made.body.id);
    const tabs = (await new Client(stack.base).get('/api/categories?lang=en')).body as { id: number; name: string }[];
    expect(tabs[0]).toEqual({ id: made.body.id, slug: `saison-${t}`, name: 'Seasonal pizzas' });
    const menu = (await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu`)).body as { id: number; categoryId: number }[];
    expect(menu.find((p) => p.id === product.id)?.categoryId).toBe(made.body.id);

    const full = await admin.delete(`/api/menu/categories/${made.body.id}`);
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('category_not_empty');
    expect((await admin.put(`/api/menu/products/${product.id}`, { name: 'Automne', category: 'pizza', categoryId: before[0], priceCents: 1450, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] })).status).toBe(200);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.delete(`/api/menu/categories/${made.body.id}`)).status).toBe(403);
    expect((await admin.post('/api/menu/categories', { slug: `saison-${t}`, name: 'Doublon' })).status).toBe(409);
    expect((await admin.delete(`/api/menu/categories/${made.body.id}`)).status).toBe(204);
    expect(await ids()).toEqual(before.slice(0, -1));
    expect((await admin.put(`/api/menu/products/${product.id}`, { name: 'Automne', category: 'pizza', categoryId: made.body.id, priceCents: 1450, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] })).status).toBe(422);
  });
});

describe('product photos', () => {
  it('head office uploads a photo: resized to a 4:3 WebP, served with a year of cache; not an image, too large or not head office: refused', async () => {
    const { default: sharp } = await import('sharp');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const pate = await ingredient('pate');
    const made = await admin.post('/api/menu/products', { slug: `photo-${tag()}`, name: 'Photo', category: 'pizza', priceCents: 1000, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] });
    const png = await sharp({ create: { width: 1600, height: 1600, channels: 3, background: '#c33' } }).png().toBuffer();
    const upload = (client: Client, bytes: Buffer | string, type = 'image/png') =>
      fetch(`${stack.base}/api/menu/products/${made.body.id}/photo`, { method: 'POST', headers: { 'content-type': type, cookie: client.cookie }, body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes) });

    const res = await upload(admin, png);
    expect(res.status).toBe(200);
    const product = await res.json();
    expect(product.photo).toMatch(/^products\/photo-[a-z0-9]+-[0-9a-f]{12}\.webp$/);
    const photo = await fetch(`${stack.base}/media/${product.photo}`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/webp');
    expect(photo.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const meta = await sharp(Buffer.from(await photo.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 800, 600]);
    // on the storefront's menu
    const shop = await createShop(stack.pool, 'photo');
    expect((await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu`)).body.find((p: { id: number }) => p.id === made.body.id).photoUrl).toBe(`/media/${product.photo}`);

    expect((await upload(admin, 'not a photo at all', 'text/plain')).status).toBe(415);
    expect((await upload(admin, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(100)]))).status).toBe(415);
    expect((await upload(admin, Buffer.alloc(9 * 1024 * 1024, 1))).status).toBe(413);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await upload(manager, png)).status).toBe(403);
    expect((await admin.get(`/api/menu/products/${made.body.id}`)).body.photo).toBe(product.photo);
    for (const path of ['/media/products/..%2F..%2Fpackage.json', '/media/products/nothing-here.webp', '/media/products/x.png']) {
      expect((await fetch(stack.base + path)).status, path).toBe(404);
    }
  });

  it('two uploads of the same photo at once both succeed, and the photo is whole', async () => {
    const { default: sharp } = await import('sharp');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const made = await admin.post('/api/menu/products', { slug: `twice-${tag()}`, name: 'Deux fois', category: 'pizza', priceCents: 1000, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: await ingredient('pate'), quantity: 1 }] });
    const png = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#3a3' } }).png().toBuffer();
    const upload = () =>
      fetch(`${stack.base}/api/menu/products/${made.body.id}/photo`, { method: 'POST', headers: { 'content-type': 'image/png', cookie: admin.cookie }, body: new Uint8Array(png) });
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([upload(), upload(), upload()]);
      expect(answers.map((r) => r.status), `round ${round}`).toEqual([200, 200, 200]);
      const photos = new Set(await Promise.all(answers.map(async (r) => (await r.json()).photo)));
      expect(photos.size).toBe(1);
      const served = await fetch(`${stack.base}/media/${[...photos][0]}`);
      expect(served.status).toBe(200);
      expect((await sharp(Buffer.from(await served.arrayBuffer())).metadata()).width).toBe(800);
    }
  });

  it('the seed gives every product of the demo menu a photo, drawn from its recipe', async () => {
    const { PRODUCTS } = await import('../../db/catalogue.ts');
    const { rows } = await stack.pool.query<{ slug: string; photo: string | null }>('SELECT slug, photo FROM products WHERE slug = ANY($1)', [PRODUCTS.map((p) => p.slug)]);
    expect(rows).toHaveLength(PRODUCTS.length);
    for (const r of rows) {
      expect(r.photo, r.slug).toMatch(/\.webp$/);
      expect((await fetch(`${stack.base}/media/${r.photo}`)).status, r.slug).toBe(200);
    }
  });
});
