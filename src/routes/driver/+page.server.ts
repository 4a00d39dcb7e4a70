import { getPizzeria } from '$lib/server/catalogue.ts';
import { db } from '$lib/server/db.ts';
import { listOrders } from '$lib/server/orders.ts';
import { requireRole } from '$lib/server/page-guards.ts';
import { snapshot } from '$lib/server/snapshot.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, ['driver']);
  const { data, lastEventId } = await snapshot(async (q) => ({
    orders: await listOrders(q, { pizzeriaIds: [user.pizzeriaId!], driverId: user.id, activeOnly: true }),
    onShift: (await q.query('SELECT on_shift FROM users WHERE id = $1', [user.id])).rows[0].on_shift as boolean,
  }));
  return { ...data, lastEventId, shop: (await getPizzeria(db(), user.pizzeriaId!))! };
};
