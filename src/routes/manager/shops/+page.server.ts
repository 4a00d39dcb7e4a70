import { SHOP_FIELDS, shopCreateSchema } from '$lib/shapes/back-office-requests.ts';
import { isOpenAt } from '$lib/domain/opening-hours.ts';
import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { createShopSettings } from '$lib/server/shops/shops.ts';
import type { Actions, PageServerLoad } from './$types';
import { can, runsChain, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const now = new Date();
  return {
    shops: (shopsOf(user, all)).map((p) => ({ ...p, openNow: !p.openingHours || isOpenAt(p.openingHours, now) })),
    headOffice: runsChain(user),
    chainPrepMinutes: Math.round(config().PREP_TARGET_SECONDS / 60),
  };
};

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    return formChange(request, locals.locale, 'create', ['slug', 'training', ...SHOP_FIELDS], shopCreateSchema, (d) => createShopSettings(db(), actorOf(user), d));
  },
};
