import { orderForStaff } from '$lib/realtime/audiences.ts';
import { getPizzeria } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { config } from '$lib/server/kernel/config.ts';
import { isOnShift, listOrders } from '$lib/server/orders/index.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { snapshot } from '$lib/server/operations/snapshot.ts';
import { myShifts } from '$lib/server/staff/clock-ins.ts';
import type { PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.drive);
  const { data, lastEventId } = await snapshot(async (q) => ({
    orders: await listOrders(q, { pizzeriaIds: [user.pizzeriaId!], driverId: user.id, activeOnly: true }),
    onShift: await isOnShift(q, user.id),
  }));
  // theirs whole, those only offered to them as much as deciding needs
  const orders = data.orders.map((o) => orderForStaff(user, o));
  const [shop, mine] = await Promise.all([getPizzeria(db(), user.pizzeriaId!), myShifts(db(), user.id)]);
  // a QR code at the door needs a payment provider (Stripe, or the demo's page)
  const doorQr = config().paymentMode !== 'off';
  return { ...data, orders, lastEventId, shop: shop!, shifts: mine.shifts, doorQr };
};
