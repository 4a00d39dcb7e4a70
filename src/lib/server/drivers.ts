// A shop's drivers as the manager's map shows them: on shift, what they carry, where they are.
import type { Queryable } from './db.ts';
import type { PositionStore, StoredPosition } from './positions.ts';

export interface DriverOnMap {
  id: number;
  name: string;
  onShift: boolean;
  /** Orders assigned and not delivered yet (waiting at the shop or on the way). */
  load: number;
  carrying: string[];
  position: (Omit<StoredPosition, 'at'> & { at: string }) | null;
}

export async function driversOfShop(q: Queryable, shop: number, positions: PositionStore | null): Promise<DriverOnMap[]> {
  const [{ rows }, where] = await Promise.all([
    q.query<{ id: number; name: string; on_shift: boolean; load: number; carrying: string[] }>({
      name: 'drivers-of-shop',
      text: `SELECT u.id, u.name, u.on_shift,
               count(o.id)::int AS load,
               coalesce(array_agg(o.id ORDER BY o.out_for_delivery_at) FILTER (WHERE o.status = 'out_for_delivery'), '{}') AS carrying
             FROM users u LEFT JOIN orders o ON o.driver_id = u.id AND o.status IN ('ready', 'out_for_delivery')
             WHERE u.role = 'driver' AND u.active AND u.pizzeria_id = $1
             GROUP BY u.id ORDER BY u.name`,
      values: [shop],
    }),
    positions ? positions.ofShop(shop).catch(() => []) : Promise.resolve([]),
  ]);
  const byDriver = new Map(where.map((p) => [p.driverId, p]));
  return rows.map((r) => {
    const p = byDriver.get(r.id);
    return {
      id: r.id,
      name: r.name,
      onShift: r.on_shift,
      load: r.load,
      carrying: r.carrying,
      position: p ? { ...p, at: new Date(p.at).toISOString() } : null,
    };
  });
}
