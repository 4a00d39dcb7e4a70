import { z } from 'zod';
import { cashCloseSchema, fromForm, shiftsQuery } from '$lib/shapes/back-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { closeShift, shiftsOfShop } from '$lib/server/money/cash.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import { recentCorrections } from '$lib/server/fiscal/corrections.ts';
import type { Actions, PageServerLoad } from './$types';
import { can, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const shops = shopsOf(user, all);
  const shop = shopFor(user, url, shops);
  const q = shiftsQuery.safeParse({ ...(url.searchParams.get('day') ? { day: url.searchParams.get('day') } : {}) });
  const day = q.success ? q.data.day : undefined;
  return {
    shops, shop: shops.find((s) => s.id === shop)!, day: day ?? null, shifts: await shiftsOfShop(db(), actorOf(user), shop, day),
    // what the counter re-booked from cash to card or back: the drawer's expected cash moved with it
    corrections: await recentCorrections(db(), [shop]),
  };
};

const ref = z.coerce.number().int().positive().max(2_147_483_647);

export const actions: Actions = {
  close: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await request.formData().catch(() => new FormData());
    const body = fromForm(form, ['shiftId', 'shop', 'countedCashCents', 'note']);
    return bodyChange(locals.locale, `close-${body.shiftId}`, body, cashCloseSchema.extend({ shiftId: ref, shop: ref }), ({ shiftId, shop, ...d }) =>
      closeShift(db(), actorOf(user), shop, shiftId, d),
    );
  },
};
