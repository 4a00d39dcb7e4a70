// The chain's menu in the back office (head office): products with their description, price, VAT
// rate, dietary tags, the steps the kitchen reads and the recipe (what each takes from a shop's
// stock, so what is sold is what can be made); ingredients with their unit and allergens. A change
// is audited and every shop's open menus are refreshed at once (stock_changed per shop).
import type { CategoryRequest, IngredientRequest, OptionRequest, ProductRequest } from '../back-office-requests.ts';
import type { OptionKind } from '../domain/pricing.ts';
import { audit } from './audit.ts';
import { transaction, type Db, type Queryable, type Tx } from './db.ts';
import { conflict, forbidden, invalid, notFound } from './errors.ts';
import type { StaffActor } from './orders/actors.ts';
import { productPhoto, type MediaStore } from './media.ts';
import type { ProductKind } from '../domain/product-kinds.ts';

export interface ProductRecord {
  id: number;
  slug: string;
  name: string;
  nameEn: string | null;
  description: string;
  descriptionEn: string | null;
  category: ProductKind;
  categoryId: number;
  priceCents: number;
  vatRate: number;
  tags: string[];
  active: boolean;
  steps: string[];
  recipe: { ingredientId: number; quantity: number }[];
  allergens: string[];
  /** The photo's key in the media store (served at /media/<key>). */
  photo: string | null;
  options: OptionRecord[];
}

export interface OptionRecord {
  id: number;
  productId: number;
  kind: OptionKind;
  name: string;
  nameEn: string | null;
  priceCents: number;
  removesIngredientId: number | null;
  ingredients: { ingredientId: number; quantity: number }[];
}

export interface CategoryRecord {
  id: number;
  slug: string;
  name: string;
  nameEn: string | null;
  position: number;
  /** Products in it (on the menu or not). */
  products: number;
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

const OPTIONS = `coalesce((SELECT json_agg(json_build_object('id', o.id, 'productId', o.product_id, 'kind', o.kind, 'name', o.name, 'nameEn', o.name_en,
      'priceCents', o.price_cents, 'removesIngredientId', o.removes_ingredient_id,
      'ingredients', coalesce((SELECT json_agg(json_build_object('ingredientId', oi.ingredient_id, 'quantity', oi.quantity) ORDER BY oi.ingredient_id)
                               FROM option_ingredients oi WHERE oi.option_id = o.id), '[]')) ORDER BY o.kind, o.position, o.id)
    FROM product_options o WHERE o.product_id = p.id), '[]')`;
const PRODUCT = `SELECT p.id, p.slug, p.name, p.name_en, p.description, p.description_en, p.category, p.category_id, p.price_cents, ${OPTIONS} AS options, p.vat_rate, p.tags, p.active, p.steps, p.photo,
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
  categoryId: r.category_id,
  priceCents: r.price_cents,
  vatRate: Number(r.vat_rate),
  tags: r.tags,
  active: r.active,
  steps: r.steps,
  recipe: r.recipe,
  allergens: r.allergens,
  photo: r.photo,
  options: r.options,
});

export async function listProducts(q: Queryable): Promise<ProductRecord[]> {
  const { rows } = await q.query(`${PRODUCT} JOIN categories c ON c.id = p.category_id ORDER BY c.position, c.id, p.sort_order, p.id`);
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

/** The menu changed: its revision goes up and every shop's open menus are read again (names, prices, availability). */
async function refreshAllMenus(tx: Tx) {
  await tx.query('UPDATE menu_revision SET n = n + 1');
  await tx.query(`SELECT pg_notify('stock_changed', id::text) FROM pizzerias`);
}

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
      `UPDATE products SET name = $2, name_en = $3, description = $4, description_en = $5, category = $6, price_cents = $7, vat_rate = $8,
         tags = $9, active = $10, steps = $11, category_id = $12 WHERE id = $1`,
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
      `INSERT INTO products (slug, name, name_en, description, description_en, category, price_cents, vat_rate, tags, active, steps, category_id, sort_order)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, (SELECT coalesce(max(sort_order), 0) + 1 FROM products))
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

// ---------- options: sizes, extras, ingredients left out ----------

async function checkOption(tx: Tx, productId: number, req: OptionRequest) {
  const { rows: product } = await tx.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [productId]);
  if (!product[0]) throw notFound('product');
  if (req.kind === 'without') {
    const { rows } = await tx.query('SELECT 1 FROM recipe_ingredients WHERE product_id = $1 AND ingredient_id = $2', [productId, req.removesIngredientId]);
    if (!rows[0]) throw invalid({ removesIngredientId: 'not an ingredient of this recipe' });
  }
  const ids = req.ingredients.map((i) => i.ingredientId);
  const { rows } = await tx.query('SELECT id FROM ingredients WHERE id = ANY($1)', [ids]);
  if (rows.length !== ids.length) throw invalid({ ingredients: 'unknown ingredient' });
}

async function writeOptionIngredients(tx: Tx, optionId: number, req: OptionRequest) {
  await tx.query('DELETE FROM option_ingredients WHERE option_id = $1', [optionId]);
  await tx.query(
    'INSERT INTO option_ingredients (option_id, ingredient_id, quantity) SELECT $1, i, q FROM unnest($2::int[], $3::int[]) AS t(i, q)',
    [optionId, req.ingredients.map((i) => i.ingredientId), req.ingredients.map((i) => i.quantity)],
  );
}

const optionOf = async (q: Queryable, productId: number, optionId: number) => (await getProduct(q, productId)).options.find((o) => o.id === optionId)!;

/** A new option on a product: every menu offers it at once. */
export async function createOption(db: Db, actor: StaffActor, productId: number, req: OptionRequest): Promise<OptionRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    await checkOption(tx, productId, req);
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO product_options (product_id, kind, name, name_en, price_cents, removes_ingredient_id, position)
       VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(position), 0) + 1 FROM product_options WHERE product_id = $1)) RETURNING id`,
      [productId, req.kind, req.name, req.nameEn ?? null, req.priceCents, req.removesIngredientId ?? null],
    );
    await writeOptionIngredients(tx, rows[0].id, req);
    const after = await optionOf(tx, productId, rows[0].id);
    await audit(tx, actor, { action: 'menu.option_create', entity: 'product', entityId: productId, pizzeriaId: null, before: null, after });
    await refreshAllMenus(tx);
    return after;
  });
}

async function lockOption(tx: Tx, optionId: number): Promise<OptionRecord> {
  const { rows } = await tx.query<{ product_id: number }>('SELECT product_id FROM product_options WHERE id = $1 FOR UPDATE', [optionId]);
  if (!rows[0]) throw notFound('option');
  return optionOf(tx, rows[0].product_id, optionId);
}

/** An option changed (its name, price or effect): orders already placed keep what they were sold. */
export async function updateOption(db: Db, actor: StaffActor, optionId: number, req: OptionRequest): Promise<OptionRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    const before = await lockOption(tx, optionId);
    await checkOption(tx, before.productId, req);
    await tx.query(
      'UPDATE product_options SET kind = $2, name = $3, name_en = $4, price_cents = $5, removes_ingredient_id = $6 WHERE id = $1',
      [optionId, req.kind, req.name, req.nameEn ?? null, req.priceCents, req.removesIngredientId ?? null],
    );
    await writeOptionIngredients(tx, optionId, req);
    const after = await optionOf(tx, before.productId, optionId);
    await audit(tx, actor, { action: 'menu.option_update', entity: 'product', entityId: before.productId, pizzeriaId: null, before, after });
    await refreshAllMenus(tx);
    return after;
  });
}

/** An option taken off a product; a basket that still holds it is told so when it orders. */
export async function deleteOption(db: Db, actor: StaffActor, optionId: number): Promise<void> {
  headOffice(actor);
  await transaction(db, async (tx) => {
    const before = await lockOption(tx, optionId);
    await tx.query('DELETE FROM product_options WHERE id = $1', [optionId]);
    await audit(tx, actor, { action: 'menu.option_delete', entity: 'product', entityId: before.productId, pizzeriaId: null, before, after: null });
    await refreshAllMenus(tx);
  });
}

// ---------- categories: the storefront's tabs, in order ----------

export async function listCategoryRecords(q: Queryable): Promise<CategoryRecord[]> {
  const { rows } = await q.query(
    `SELECT c.id, c.slug, c.name, c.name_en, c.position, (SELECT count(*) FROM products p WHERE p.category_id = c.id)::int AS products
     FROM categories c ORDER BY c.position, c.id`,
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, nameEn: r.name_en, position: r.position, products: r.products }));
}

const categoryRecord = async (q: Queryable, id: number) => {
  const found = (await listCategoryRecords(q)).find((c) => c.id === id);
  if (!found) throw notFound('category');
  return found;
};

/** A new category, last in the storefront's tabs (shown once a product on the menu is in it). */
export async function createCategory(db: Db, actor: StaffActor, req: CategoryRequest & { slug: string }): Promise<CategoryRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    await tx.query('LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO categories (slug, name, name_en, position) VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM categories))
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [req.slug, req.name, req.nameEn ?? null],
    );
    if (!rows[0]) throw conflict('slug_taken', 'another category has this short name', { fields: { slug: 'already used' } });
    const after = await categoryRecord(tx, rows[0].id);
    await audit(tx, actor, { action: 'menu.category_create', entity: 'category', entityId: after.id, pizzeriaId: null, before: null, after });
    await refreshAllMenus(tx);
    return after;
  });
}

export async function updateCategory(db: Db, actor: StaffActor, id: number, req: CategoryRequest): Promise<CategoryRecord> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    const before = await categoryRecord(tx, id);
    await tx.query('UPDATE categories SET name = $2, name_en = $3 WHERE id = $1', [id, req.name, req.nameEn ?? null]);
    const after = await categoryRecord(tx, id);
    await audit(tx, actor, { action: 'menu.category_update', entity: 'category', entityId: id, pizzeriaId: null, before, after });
    await refreshAllMenus(tx);
    return after;
  });
}

/** A tab moved one place earlier or later on the storefront (it swaps with its neighbour). */
export async function moveCategory(db: Db, actor: StaffActor, id: number, direction: 'up' | 'down'): Promise<CategoryRecord[]> {
  headOffice(actor);
  return transaction(db, async (tx) => {
    // one mover at a time: two moves at once must not leave two tabs on one position
    await tx.query('LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE');
    const before = await listCategoryRecords(tx);
    const at = before.findIndex((c) => c.id === id);
    if (at < 0) throw notFound('category');
    const other = before[direction === 'up' ? at - 1 : at + 1];
    if (!other) return before;
    const order = before.map((c) => c.id);
    [order[at], order[before.indexOf(other)]] = [order[before.indexOf(other)], order[at]];
    await tx.query('UPDATE categories c SET position = t.n FROM unnest($1::int[]) WITH ORDINALITY AS t(id, n) WHERE c.id = t.id', [order]);
    const after = await listCategoryRecords(tx);
    await audit(tx, actor, {
      action: 'menu.category_move', entity: 'category', entityId: id, pizzeriaId: null,
      before: { order: before.map((c) => c.slug) }, after: { order: after.map((c) => c.slug) },
    });
    await refreshAllMenus(tx);
    return after;
  });
}

/** An empty category removed; one that still holds products is refused (move them first). */
export async function deleteCategory(db: Db, actor: StaffActor, id: number): Promise<void> {
  headOffice(actor);
  await transaction(db, async (tx) => {
    await tx.query('LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE');
    const before = await categoryRecord(tx, id);
    const { rows } = await tx.query('SELECT 1 FROM products WHERE category_id = $1 LIMIT 1 FOR KEY SHARE', [id]);
    if (rows[0]) throw conflict('category_not_empty', 'this category still holds products: move them to another first');
    await tx.query('DELETE FROM categories WHERE id = $1', [id]);
    await audit(tx, actor, { action: 'menu.category_delete', entity: 'category', entityId: id, pizzeriaId: null, before, after: null });
    await refreshAllMenus(tx);
  });
}
