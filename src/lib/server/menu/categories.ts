// The menu's categories: the storefront's tabs, in order.
import type { CategoryRequest } from '../../shapes/back-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { headOffice, refreshAllMenus, type CategoryRecord } from './records.ts';

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
