import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { ordersOfDay } from '$lib/server/money/refund-reads.ts';
import { todayInParis } from '$lib/server/money/takings.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';

// the day's orders of the manager's shop (head office: every shop), to open one and refund it; a
// number finds one, a day that is not one shows today
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const asked = url.searchParams.get('date') ?? '';
  const date = /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked)) ? asked : await todayInParis(db());
  const rawNumber = (url.searchParams.get('number') ?? '').trim();
  const number = /^\d{1,9}$/.test(rawNumber) ? Number(rawNumber) : undefined;
  const orders = await ordersOfDay(db(), actorOf(user), date, number);
  return { date, number: number ?? null, orders, all: runsChain(user) };
};
