// The chain's menu in the back office (head office): products with their description, price, VAT
// rate, dietary tags, the steps the kitchen reads and the recipe (what each takes from a shop's
// stock, so what is sold is what can be made); ingredients with their unit and allergens. A change
// is audited and every shop's open menus are refreshed at once (stock_changed per shop).
import type { IngredientRequest, ProductRequest } from '../back-office-requests.ts';
import { audit } from './audit.ts';
import { transaction, type Db, type Queryable, type Tx } from './db.ts';
import { conflict, forbidden, invalid, notFound } from './errors.ts';
import type { StaffActor } from './orders.ts';
import { productPhoto, type MediaStore } from './media.ts';

export interface ProductRecord {
  id: number;
  slug: string;
  name: string;
  nameEn: string | null;
  description: string;
  descriptionEn: string | null;
  category: 'pizza' | 'drink' | 'dessert';
  priceCents: number;
  vatRate: number;
  tags: string[];
  active: boolean;
  steps: string[];
  recipe: { ingredientId: number; quantity: number }[];
  allergens: string[];
  /** The photo's key in the media store (served at /media/<key>). */
  photo: string | null;
}

export interface IngredientRecord {
  id: number;
  slug: string;
  name: string;
  nameEn: string | null;
  unit: 'g' | 'ml' | 'piece';
  allergens: string[];
  /** Products whose recipe uses it. */
  usedBy: number;
}

const headOffice = (actor: StaffActor) => {
  if (actor.role !== 'admin') throw forbidden('head office keeps the menu');
};

const PRODUCT = `SELECT p.id, p.slug, p.name, p.name_en, p.description, p.description_en, p.category, p.price_cents, p.vat_rate, p.tags, p.active, p.steps, p.photo,
    coalesce((SELECT json_agg(json_build_object('ingredientId', r.ingredient_id, 'quantity', r.quantity) ORDER BY r.ingredient_id)
              FROM recipe_ingredients r WHERE r.product_id = p.id), '[]') AS recipe,
    ARRAY(SELECT DISTINCT a FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id, unnest(i.allergens) a WHERE r.product_id = p.id ORDER BY a) AS allergens
  FROM products p`;
const toProduct = (r: Record<string, any>): ProductRecord => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  nameEn: r.name_en,
  description: r.description,
  descriptionEn: r.description_en,
  category: r.category,
  priceCents: r.price_cents,
  vatRate: Number(r.vat_rate),
  tags: r.tags,
  active: r.active,
  steps: r.steps,
  recipe: r.recipe,
  allergens: r.allergens,
  photo: r.photo,
});

export async function listProducts(q: Queryable): Promise<ProductRecord[]> {
  const { rows } = await q.query(`${PRODUCT} ORDER BY p.category, p.sort_order, p.id`);
  return rows.map(toProduct);
}

export async function getProduct(q: Queryable, id: number): Promise<ProductRecord> {
  const { rows } = await q.query(`${PRODUCT} WHERE p.id = $1`, [id]);
  if (!rows[0]) throw notFound('product');
  return toProduct(rows[0]);
}

export async function listIngredients(q: Queryable): Promise<IngredientRecord[]> {
  const { rows } = await q.query(
    `SELECT i.id, i.slug, i.name, i.name_en, i.unit, i.allergens, (SELECT count(*) FROM recipe_ingredients r WHERE r.ingredient_id = i.id)::int AS used_by
     FROM ingredients i ORDER BY i.name`,
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, nameEn: r.name_en, unit: r.unit, allergens: r.allergens, usedBy: r.used_by }));
}

/** Every shop's open menus are read again (names, prices, availability). */
const refreshAllMenus = (tx: Tx) => tx.query(`SELECT pg_notify('stock_changed', id::text) FROM pizzerias`);

async function writeRecipe(tx: Tx, productId: number, recipe: ProductRequest['recipe']) {
  const ids = recipe.map((r) => r.ingredientId);
  if (new Set(ids).size !== ids.length) throw invalid({ recipe: 'an ingredient appears twice' });
  const { rows } = await tx.query<{ id: number }>('SELECT id FROM ingredients WHERE id = ANY($1)', [ids]);
  if (rows.length !== ids.length) throw invalid({ recipe: 'unknown ingredient' });
  await tx.query('DELETE FROM recipe_ingredients WHERE product_id = $1', [productId]);
  await tx.query(
    `INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity) SELECT $1, i, q FROM unnest($2::int[], $3::int[]) AS t(i, q)`,
    [productId, ids, recipe.map((r) => r.quantity)],
  );
}

const productColumns = (req: ProductRequest) => [
  req.name, req.nameEn ?? null, req.description, req.descriptionEn ?? null, req.category, req.priceCents, req.vatRate, req.tags, req.active, req.steps,
];

export async function updateProduct(db: Db, actor: StaffActor, id: number, req: ProductRequest): Promise<ProductRecord> {
  headOffice(actor);
  if (!req.recipe.length) throw invalid({ recipe: 'a product needs at least one ingredient (a drink: its bottle or can)' });
  return transaction(db, async (tx) => {
    const before = await getProduct(tx, id);
    await tx.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [id]);
    await tx.query(
      `UPDATE products SET name = $2, name_en = $3, description = $4, description_en = $5, category = $6, price_cents = $7, vat_rate = $8,
         tags = $9, active = $10, steps = $11 WHERE id = $1`,
      [id, ...productColumns(req)],
    );
    await writeRecipe(tx, id, req.recipe);
    const after = await getProduct(tx, id);
    await audit(tx, actor, { action: 'menu.product_update', entity: 'product', entityId: id, pizzeriaId: null, before, after });
    await refreshAllMenus(tx);
    return after;
  });
}

export async function createProduct(db: Db, actor: StaffActor, req: ProductRequest & { slug: string }): Promise<ProductRecord> {
  headOffice(actor);
  if (!req.recipe.length) throw invalid({ recipe: 'a product needs at least one ingredient (a drink: its bottle or can)' });
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO products (slug, name, name_en, description, description_en, category, price_cents, vat_rate, tags, active, steps, sort_order)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, (SELECT coalesce(max(sort_order), 0) + 1 FROM products))
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, ...productColumns(req)],
    );
    if (!rows[0]) throw conflict('slug_taken', 'another product has this short name', { fields: { slug: 'already used' } });
    await writeRecipe(tx, rows[0].id, req.recipe);
    const after = await getProduct(tx, rows[0].id);
    await audit(tx, actor, { action: 'menu.product_create', entity: 'product', entityId: after.id, pizzeriaId: null, before: null, after });
    await refreshAllMenus(tx);
    return after;
  });
}

export async function updateIngredient(db: Db, actor: StaffActor, id: number, req: IngredientRequest): Promise<IngredientRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query('SELECT id, slug, name, name_en, unit, allergens FROM ingredients WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw notFound('ingredient');
    await tx.query('UPDATE ingredients SET name = $2, name_en = $3, unit = $4, allergens = $5 WHERE id = $1', [id, req.name, req.nameEn ?? null, req.unit, req.allergens]);
    const after = (await listIngredients(tx)).find((i) => i.id === id)!;
    await audit(tx, actor, { action: 'menu.ingredient_update', entity: 'ingredient', entityId: id, pizzeriaId: null, before: rows[0], after });
    await refreshAllMenus(tx);
    return after;
  });
}

/** A new ingredient, stocked at zero in every shop until its first delivery. */
export async function createIngredient(db: Db, actor: StaffActor, req: IngredientRequest & { slug: string }): Promise<IngredientRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO ingredients (slug, name, name_en, unit, allergens) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, req.name, req.nameEn ?? null, req.unit, req.allergens],
    );
    if (!rows[0]) throw conflict('slug_taken', 'another ingredient has this short name', { fields: { slug: 'already used' } });
    await tx.query('INSERT INTO stock (pizzeria_id, ingredient_id, on_hand) SELECT id, $1, 0 FROM pizzerias', [rows[0].id]);
    const after = (await listIngredients(tx)).find((i) => i.id === rows[0].id)!;
    await audit(tx, actor, { action: 'menu.ingredient_create', entity: 'ingredient', entityId: after.id, pizzeriaId: null, before: null, after });
    return after;
  });
}

/** A new photo for a product: checked, resized, kept in the media store; every menu shows it at once. */
export async function setProductPhoto(db: Db, media: MediaStore, actor: StaffActor, id: number, bytes: Buffer): Promise<ProductRecord> {
  headOffice(actor);
  const before = await getProduct(db, id);
  const { key, webp } = await productPhoto(before.slug, bytes);
  await media.put(key, webp);
  return transaction(db, async (tx) => {
    await tx.query('UPDATE products SET photo = $2 WHERE id = $1', [id, key]);
    const after = await getProduct(tx, id);
    await audit(tx, actor, { action: 'menu.product_photo', entity: 'product', entityId: id, pizzeriaId: null, before: { photo: before.photo }, after: { photo: key } });
    await refreshAllMenus(tx);
    return after;
  });
}
