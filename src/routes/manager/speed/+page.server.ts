import { takingsQuery } from '$lib/shapes/back-office-requests.ts';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { speedOfDay } from '$lib/server/kitchen/speed.ts';
import { promisesOfDay } from '$lib/server/kitchen/promises.ts';
import { staffingOfDay } from '$lib/server/staff/clock-ins.ts';
import { config } from '$lib/server/kernel/config.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';

// a manager sees their shop, head office the shop it picks (the first by default); a date that is
// not one shows today
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const asked = url.searchParams.get('date');
  const q = takingsQuery.safeParse(asked ? { date: asked } : {});
  const shops = runsChain(user) ? (await listPizzerias(db())).map((p) => ({ id: p.id, name: p.name })) : [];
  const picked = Number(url.searchParams.get('shop'));
  const shopId = runsChain(user) ? (shops.find((s) => s.id === picked) ?? shops[0]).id : user.pizzeriaId!;
  const date = q.success ? q.data.date : undefined;
  const c = config();
  const [day, promises, staffing] = await Promise.all([
    speedOfDay(db(), actorOf(user), shopId, date),
    promisesOfDay(db(), actorOf(user), shopId, { mode: c.DELIVERY_MODE, eta: c.eta }, date),
    staffingOfDay(db(), actorOf(user), shopId, date),
  ]);
  return { day, promises, staffing, shops, badDate: asked !== null && asked !== '' && !q.success };
};
