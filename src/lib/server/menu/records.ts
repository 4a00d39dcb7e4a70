// The chain's menu in the back office (head office): products with their description, price, VAT
// rate, dietary tags, the steps the kitchen reads and the recipe (what each takes from a shop's
// stock, so what is sold is what can be made); ingredients with their unit and allergens. A change
// is audited and every shop's open menus are refreshed at once (stock_changed per shop).
import type { OptionKind } from '../../domain/pricing.ts';
import type { VatRates } from '../../domain/vat.ts';
import { type Queryable, type Tx } from '../kernel/db.ts';
import { forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { ProductKind } from '../../domain/product-kinds.ts';
import { runsChain } from '../../domain/permissions.ts';

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
  /** Its VAT rate taken away and delivered (the line sold keeps the rate of its order's way). */
  vatRates: VatRates;
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
  /** The cereals and tree nuts it contains, named (annex II: "gluten (blé)"); none named: the group alone. */
  allergenKinds: string[];
  /** Products whose recipe uses it. */
  usedBy: number;
}

export const headOffice = (actor: StaffActor) => {
  if (!runsChain(actor)) throw forbidden('head office keeps the menu');
};

const OPTIONS = `coalesce((SELECT json_agg(json_build_object('id', o.id, 'productId', o.product_id, 'kind', o.kind, 'name', o.name, 'nameEn', o.name_en,
      'priceCents', o.price_cents, 'removesIngredientId', o.removes_ingredient_id,
      'ingredients', coalesce((SELECT json_agg(json_build_object('ingredientId', oi.ingredient_id, 'quantity', oi.quantity) ORDER BY oi.ingredient_id)
                               FROM option_ingredients oi WHERE oi.option_id = o.id), '[]')) ORDER BY o.kind, o.position, o.id)
    FROM product_options o WHERE o.product_id = p.id), '[]')`;
const PRODUCT = `SELECT p.id, p.slug, p.name, p.name_en, p.description, p.description_en, p.category, p.category_id, p.price_cents, ${OPTIONS} AS options, p.vat_rate_pickup, p.vat_rate_delivery, p.tags, p.active, p.steps, p.photo,
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
  vatRates: { pickup: Number(r.vat_rate_pickup), delivery: Number(r.vat_rate_delivery) },
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
    `SELECT i.id, i.slug, i.name, i.name_en, i.unit, i.allergens, i.allergen_kinds, (SELECT count(*) FROM recipe_ingredients r WHERE r.ingredient_id = i.id)::int AS used_by
     FROM ingredients i ORDER BY i.name`,
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, nameEn: r.name_en, unit: r.unit, allergens: r.allergens, allergenKinds: r.allergen_kinds, usedBy: r.used_by }));
}

/** The menu changed: its revision goes up and every shop's open menus are read again (names, prices, availability). */
export async function refreshAllMenus(tx: Tx) {
  await tx.query('UPDATE menu_revision SET n = n + 1');
  await tx.query(`SELECT pg_notify('stock_changed', id::text) FROM pizzerias`);
}
