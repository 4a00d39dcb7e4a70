// Products and ingredients of the chain's menu: written by head office, audited, every open menu refreshed at once.
import type { IngredientRequest, ProductRequest } from '../../shapes/back-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { conflict, invalid, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { productPhoto, type MediaStore } from '../shops/media.ts';
import { getProduct, headOffice, listIngredients, refreshAllMenus, type IngredientRecord, type ProductRecord } from './records.ts';

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
  req.name, req.nameEn ?? null, req.description, req.descriptionEn ?? null, req.category, req.priceCents, req.vatRates.pickup, req.vatRates.delivery, req.tags, req.active, req.steps,
];

/**
 * The category a product goes in: the one asked for (it must exist), else the one its current
 * category (`keep`), else the first that holds products of its kind, else the first of all.
 */
async function categoryFor(tx: Tx, req: ProductRequest, keep: number | null): Promise<number> {
  if (req.categoryId !== undefined) {
    const { rows } = await tx.query('SELECT id FROM categories WHERE id = $1', [req.categoryId]);
    if (!rows[0]) throw invalid({ categoryId: 'unknown category' });
    return req.categoryId;
  }
  if (keep !== null) return keep;
  const { rows } = await tx.query<{ id: number }>(
    `SELECT c.id FROM categories c ORDER BY EXISTS (SELECT 1 FROM products p WHERE p.category_id = c.id AND p.category = $1) DESC, c.position, c.id LIMIT 1`,
    [req.category],
  );
  if (!rows[0]) throw invalid({ categoryId: 'create a category first' });
  return rows[0].id;
}

export async function updateProduct(db: Db, actor: StaffActor, id: number, req: ProductRequest): Promise<ProductRecord> {
  headOffice(actor);
  if (!req.recipe.length) throw invalid({ recipe: 'a product needs at least one ingredient (a drink: its bottle or can)' });
  return transaction(db, async (tx) => {
    const before = await getProduct(tx, id);
    await tx.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [id]);
    await tx.query(
      `UPDATE products SET name = $2, name_en = $3, description = $4, description_en = $5, category = $6, price_cents = $7,
         vat_rate_pickup = $8, vat_rate_delivery = $9, tags = $10, active = $11, steps = $12, category_id = $13 WHERE id = $1`,
      [id, ...productColumns(req), await categoryFor(tx, req, before.categoryId)],
    );
    await writeRecipe(tx, id, req.recipe);
    // an option that leaves out an ingredient the recipe no longer has means nothing: it goes
    await tx.query(
      `DELETE FROM product_options o WHERE o.product_id = $1 AND o.kind = 'without'
         AND NOT EXISTS (SELECT 1 FROM recipe_ingredients r WHERE r.product_id = $1 AND r.ingredient_id = o.removes_ingredient_id)`,
      [id],
    );
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
      `INSERT INTO products (slug, name, name_en, description, description_en, category, price_cents, vat_rate_pickup, vat_rate_delivery, tags, active, steps, category_id, sort_order)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, (SELECT coalesce(max(sort_order), 0) + 1 FROM products))
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, ...productColumns(req), await categoryFor(tx, req, null)],
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
    const { rows } = await tx.query('SELECT id, slug, name, name_en, unit, allergens, allergen_kinds FROM ingredients WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw notFound('ingredient');
    await tx.query('UPDATE ingredients SET name = $2, name_en = $3, unit = $4, allergens = $5, allergen_kinds = $6 WHERE id = $1',
      [id, req.name, req.nameEn ?? null, req.unit, req.allergens, req.allergenKinds]);
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
      `INSERT INTO ingredients (slug, name, name_en, unit, allergens, allergen_kinds) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, req.name, req.nameEn ?? null, req.unit, req.allergens, req.allergenKinds],
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
