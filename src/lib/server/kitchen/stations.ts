// A shop's kitchen stations (db/migrations/0034): read by the kitchen's screens and the order
// service, set as a whole by the shop's manager in the back office.
import { checkStations, type Station } from '../../domain/stations.ts';
import type { ProductKind } from '../../domain/product-kinds.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { invalid } from '../kernel/errors.ts';

/** A shop's stations, make stations in the order the manager set, the pass last. */
export async function listStations(q: Queryable, pizzeriaId: number): Promise<Station[]> {
  const { rows } = await q.query<{ id: number; name: string; is_pass: boolean; kinds: ProductKind[] | string; category_ids: number[] }>({
    name: 'list-stations',
    text: `SELECT id, name, is_pass, kinds::text[] AS kinds, category_ids FROM kitchen_stations
           WHERE pizzeria_id = $1 ORDER BY is_pass, position, id`,
    values: [pizzeriaId],
  });
  return rows.map((r) => ({ id: r.id, name: r.name, isPass: r.is_pass, kinds: r.kinds as ProductKind[], categoryIds: r.category_ids }));
}

export type StationInput = Omit<Station, 'id'> & { id?: number };

/**
 * Sets a shop's stations as a whole: the ones given with an id are kept (renamed, rerouted), new
 * ones added, the others removed; refused with a reason per field when two stations share a name,
 * a kind or a category, or when there are two passes. Categories must exist.
 */
export async function saveStations(db: Db, pizzeriaId: number, stations: StationInput[]): Promise<Station[]> {
  const problems = checkStations(stations);
  if (problems.length) throw invalid(Object.fromEntries(problems.map((p) => [p.field, p.message])), problems[0].message);
  return transaction(db, async (tx) => {
    const wanted = [...new Set(stations.flatMap((s) => s.categoryIds))];
    if (wanted.length) {
      const { rows } = await tx.query<{ id: number }>('SELECT id FROM categories WHERE id = ANY($1::int[])', [wanted]);
      const known = new Set(rows.map((r) => r.id));
      const unknown = wanted.filter((c) => !known.has(c));
      if (unknown.length) throw invalid({ categoryIds: `no such category: ${unknown.join(', ')}` });
    }
    // the shop's own stations only: an id from another shop is refused, not moved
    const { rows: mine } = await tx.query<{ id: number }>('SELECT id FROM kitchen_stations WHERE pizzeria_id = $1 FOR UPDATE', [pizzeriaId]);
    const ids = new Set(mine.map((r) => r.id));
    const stranger = stations.findIndex((s) => s.id !== undefined && !ids.has(s.id));
    if (stranger >= 0) throw invalid({ [`stations.${stranger}.id`]: 'not a station of this shop' });
    const kept = stations.filter((s) => s.id !== undefined).map((s) => s.id!);
    await tx.query('DELETE FROM kitchen_stations WHERE pizzeria_id = $1 AND NOT (id = ANY($2::int[]))', [pizzeriaId, kept]);
    // names and the pass are one per shop: free them first, so two stations may swap them
    if (kept.length) await tx.query(`UPDATE kitchen_stations SET name = '~' || id, is_pass = false WHERE id = ANY($1::int[])`, [kept]);
    for (const [position, s] of stations.entries()) {
      const values = [s.name.trim(), s.isPass, position, s.kinds, s.categoryIds];
      if (s.id !== undefined) {
        await tx.query(
          'UPDATE kitchen_stations SET name = $2, is_pass = $3, position = $4, kinds = $5::product_category[], category_ids = $6::int[] WHERE id = $1',
          [s.id, ...values],
        );
      } else {
        await tx.query(
          'INSERT INTO kitchen_stations (pizzeria_id, name, is_pass, position, kinds, category_ids) VALUES ($1, $2, $3, $4, $5::product_category[], $6::int[])',
          [pizzeriaId, ...values],
        );
      }
    }
    // the shop's kitchen tablets take the new stations at once (the hub tells the shop's screens)
    await tx.query(`SELECT pg_notify('shop_changed', $1::text)`, [pizzeriaId]);
    return listStations(tx, pizzeriaId);
  });
}
