import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { PageServerLoad } from './$types';
import { can, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  return { shops: shopsOf(user, all) };
};
