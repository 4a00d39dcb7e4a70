// A pizza of the tests' own with a nut pesto extra (the demo chain has none): an ingredient with
// nuts, stocked in every shop, and a product with its recipe and the extra. Taken off the menu
// again after the tests (other test files read the same menu).
import type pg from 'pg';

export interface PestoPizza {
  productId: number;
  slug: string;
  name: string;
  pestoOptionId: number;
  pestoName: string;
}

export async function addPestoPizza(pool: pg.Pool, tag: string): Promise<PestoPizza> {
  const slug = `pesto-${tag}-${Date.now().toString(36)}`;
  const name = `Genovese ${tag}`;
  const { rows: [ing] } = await pool.query(
    `INSERT INTO ingredients (slug, name, unit, allergens, allergen_kinds) VALUES ($1, 'Pesto aux noix', 'g', '{nuts,milk}', '{walnuts}') RETURNING id`, [`${slug}-pesto`],
  );
  await pool.query('INSERT INTO stock (pizzeria_id, ingredient_id, on_hand) SELECT id, $1, 100000 FROM pizzerias ON CONFLICT DO NOTHING', [ing.id]);
  const { rows: [p] } = await pool.query(
    `INSERT INTO products (slug, name, description, category, price_cents, category_id, sort_order)
     VALUES ($1, $2, 'Tomate, mozzarella, basilic', 'pizza', 1190, (SELECT id FROM categories WHERE slug = 'pizzas'), 99) RETURNING id`,
    [slug, name],
  );
  await pool.query(
    `INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity)
     SELECT $1, id, CASE slug WHEN 'pate' THEN 1 ELSE 80 END FROM ingredients WHERE slug IN ('pate', 'sauce-tomate', 'mozzarella')`, [p.id],
  );
  const pestoName = 'Supplément pesto aux noix';
  const { rows: [o] } = await pool.query(
    `INSERT INTO product_options (product_id, kind, name, name_en, price_cents, position) VALUES ($1, 'extra', $2, 'Extra nut pesto', 200, 1) RETURNING id`,
    [p.id, pestoName],
  );
  await pool.query('INSERT INTO option_ingredients (option_id, ingredient_id, quantity) VALUES ($1, $2, 30)', [o.id, ing.id]);
  return { productId: p.id, slug, name, pestoOptionId: o.id, pestoName };
}

export async function removePestoPizza(pool: pg.Pool, pizza: PestoPizza | undefined) {
  if (pizza) await pool.query('UPDATE products SET active = false WHERE id = $1', [pizza.productId]);
}
