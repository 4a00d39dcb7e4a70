import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { managerBoard } from '$lib/server/flows/head-office-board.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const board = await managerBoard(db(), user);
  return { ...board, positionFreshMs: config().DRIVER_POSITION_FRESH_SECONDS * 1000, scope: runsChain(user) ? ('hq' as const) : ('shop' as const) };
};
