import { ratingsQuery } from '$lib/shapes/rating-requests.ts';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { ratingsReport } from '$lib/server/customers/ratings.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';

// a manager reads their shop, head office every shop or the one it picks; the period defaults to
// the last 30 days, and a period that is not one shows the default with a message
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const param = (name: string) => url.searchParams.get(name) || undefined;
  const shops = runsChain(user) ? (await listPizzerias(db())).map((s) => ({ id: s.id, name: s.name })) : [];
  // head office's pick, when it is a shop (a manager reads their own whatever the address says)
  const picked = shops.find((s) => s.id === Number(param('shop')))?.id;
  const asked = ratingsQuery.safeParse({ from: param('from'), to: param('to') });
  const report = await ratingsReport(db(), actorOf(user), { ...(asked.success ? asked.data : {}), pizzeriaId: picked });
  return {
    report,
    shops,
    shop: picked ?? null,
    badPeriod: asked.success ? null : (asked.error.issues.find((i) => i.message.startsWith('form.'))?.message ?? 'form.date'),
  };
};
