// The drivers as the managers' map shows them: on shift, what they carry, where they are, and
// which shop they work for tonight (their own, or the one head office lent them to), and whether
// their phone is connected now.
import type { Queryable } from '../kernel/db.ts';
import type { DriverOnMap } from '../../shapes/views.ts';
import type { PositionStore } from './positions.ts';
import { expectedBackAt } from '../../domain/driver-return.ts';
import { DEFAULT_ETA_SETTINGS, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import type { LatLng } from '../../domain/geo.ts';
import { WITH_DRIVER_STATUSES, sqlList } from '../../domain/order-states.ts';

/** How the shop's drivers ride (DELIVERY_MODE and the ETA settings): when each is expected back. */
export interface Road {
  mode: TravelMode;
  eta: EtaSettings;
}

export async function driversOfShops(
  q: Queryable,
  shops: number[],
  positions: PositionStore | null,
  road: Road | ((shop: number) => Road) = { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS },
): Promise<DriverOnMap[]> {
  // each driver's way back on the road of the shop they work for tonight (one road for all, or each shop's own)
  const roadOf = typeof road === 'function' ? road : () => road;
  const [{ rows }, where] = await Promise.all([
    q.query<{ id: number; name: string; on_shift: boolean; home: number; works_for: number; load: number; carrying: string[]; doors: LatLng[]; shop: LatLng }>({
      name: 'drivers-of-shops',
      text: `SELECT u.id, u.name, u.on_shift, u.pizzeria_id AS home, coalesce(u.lent_to, u.pizzeria_id) AS works_for,
               count(o.id)::int AS load,
               coalesce(array_agg(o.id ORDER BY o.out_for_delivery_at) FILTER (WHERE o.status = 'out_for_delivery'), '{}') AS carrying,
               coalesce(jsonb_agg(jsonb_build_object('lat', o.address_lat, 'lng', o.address_lng))
                 FILTER (WHERE o.status = 'out_for_delivery' AND o.address_lat IS NOT NULL AND o.address_lng IS NOT NULL), '[]') AS doors,
               (SELECT jsonb_build_object('lat', p.lat, 'lng', p.lng) FROM pizzerias p WHERE p.id = coalesce(u.lent_to, u.pizzeria_id)) AS shop
             FROM users u LEFT JOIN orders o ON o.driver_id = u.id AND o.status IN (${sqlList(WITH_DRIVER_STATUSES)})
             WHERE u.role = 'driver' AND u.active AND coalesce(u.lent_to, u.pizzeria_id) = ANY($1)
             GROUP BY u.id ORDER BY u.name`,
      values: [shops],
    }),
    // every shop's positions in two round trips to Redis (Redis away: nobody's position is known)
    positions ? positions.ofShops(shops).then((m) => [...m.values()].flat(), () => []) : Promise.resolve([]),
  ]);
  const byDriver = new Map(where.map((p) => [p.driverId, p]));
  // whose phone is connected now (null: no position store, so nobody can tell)
  const connected = positions ? await positions.connected(rows.filter((r) => r.on_shift).map((r) => r.id)).catch(() => null) : null;
  const now = Date.now();
  return rows.map((r) => {
    const p = byDriver.get(r.id);
    // a position too old to trust says nothing of where they are now
    const { mode, eta } = roadOf(r.works_for);
    const back = r.on_shift && p && !p.stale ? expectedBackAt(p, r.shop, r.doors, now, mode, eta) : null;
    return {
      id: r.id,
      name: r.name,
      onShift: r.on_shift,
      homeShop: r.home,
      worksFor: r.works_for,
      load: r.load,
      carrying: r.carrying,
      connected: connected ? connected.has(r.id) : null,
      position: p ? { ...p, at: new Date(p.at).toISOString() } : null,
      backAt: back === null ? null : new Date(back).toISOString(),
    };
  });
}
