import { z } from 'zod';
import { closeDaySchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { chainClosings, closeDayOnDemand, fiscalOverview } from '$lib/server/fiscal/closings.ts';
import { operatorNames } from '$lib/server/fiscal/operators.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';
import { can, may, shopsOf } from '$lib/domain/permissions.ts';

// a shop's closings (clôtures) of its fiscal journal: its manager's shop, any shop for head office
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const shops = shopsOf(user, all);
  const shop = shopFor(user, url, shops);
  const overview = await fiscalOverview(db(), actorOf(user), shop, { key: fiscalKeyOf(config()) });
  // who closed each day, by name (the journal keeps role:id)
  const operators = await operatorNames(db(), Object.values(overview.closings).flat().map((c) => c.operator));
  const headOffice = may(user.role, can.runChain);
  // head office sees every shop's closings at a glance above the one shop's
  const chain = headOffice ? await chainClosings(db(), actorOf(user)) : null;
  return { shops: shops.map((s) => ({ id: s.id, name: s.name })), overview, operators, headOffice, chain };
};

const ref = z.coerce.number().int().positive().max(2_147_483_647);

export const actions: Actions = {
  // "Clôturer la journée": a day that is over, and any day before it not closed yet
  close: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const c = config();
    return formChange(request, locals.locale, 'close', ['day', 'shop'], closeDaySchema.extend({ shop: ref }), ({ day, shop }) =>
      closeDayOnDemand(db(), fiscalKeyOf(c), actorOf(user), shop, day, c.FISCAL_YEAR_START_MONTH),
    );
  },
};
