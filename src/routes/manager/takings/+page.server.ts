import { takingsQuery } from '$lib/shapes/back-office-requests.ts';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { takingsOfDay } from '$lib/server/money/takings.ts';
import { config } from '$lib/server/kernel/config.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';
import { backOfficePlatforms } from '$lib/server/marketplaces/stores.ts';

// head office sees every shop and the chain's total, a manager their shop; a date that is not one shows today
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const asked = url.searchParams.get('date');
  const q = takingsQuery.safeParse(asked ? { date: asked } : {});
  const day = await takingsOfDay(db(), actorOf(user), runsChain(user) ? 'all' : user.pizzeriaId!, q.success ? q.data.date : undefined, { key: fiscalKeyOf(config()) });
  const platformLabels = Object.fromEntries(backOfficePlatforms(config()).map((p) => [p.id, p.label]));
  return { day, all: runsChain(user), badDate: asked !== null && asked !== '' && !q.success, platformLabels };
};
