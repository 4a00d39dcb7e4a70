// A product's options: sizes, extras, ingredients left out; each with what it takes from the stock.
import type { OptionRequest } from '../../shapes/back-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { invalid, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { getProduct, headOffice, refreshAllMenus, type OptionRecord } from './records.ts';

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
