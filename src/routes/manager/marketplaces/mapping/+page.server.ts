import { fail } from '@sveltejs/kit';
import { can, runsChain } from '$lib/domain/permissions.ts';
import { mappingSchema, platformId } from '$lib/shapes/marketplace-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { mapItem, menuChoices, unmappedItems } from '$lib/server/marketplaces/mapping.ts';
import { retryMapped } from '$lib/server/flows/platform-office.ts';
import { backOfficePlatforms, platformsOf } from '$lib/server/marketplaces/stores.ts';
import type { Actions, PageServerLoad } from './$types';

// what the platforms named that is not in our menu (a manager: what their shop's orders named),
// each mapped to a product or an option, for the shop (head office: for one shop or every shop);
// the orders waiting for it are tried again once it is
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const [items, menu] = await Promise.all([unmappedItems(db(), actorOf(user)), menuChoices(db())]);
  return { items, menu, platforms: platformsOf(backOfficePlatforms(config())), chain: runsChain(user) };
};

export const actions: Actions = {
  map: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'map', errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });
    const s = (k: string) => String(form.get(k) ?? '').trim();
    // the choice is "p<id>" (a product) or "o<id>" (an option)
    const to = /^([po])(\d{1,9})$/.exec(s('to'));
    const key = `map-${s('platform')}-${s('externalId')}`;
    const platform = platformId.safeParse(s('platform'));
    if (!platform.success) return fail(400, { form: key, errors: { form: 'not a platform' } as Record<string, string>, values: {} as Record<string, string> });
    const body = {
      externalId: s('externalId'), productId: to?.[1] === 'p' ? Number(to[2]) : null, optionId: to?.[1] === 'o' ? Number(to[2]) : null,
      // head office's choice of shop; empty: every shop
      ...(form.has('shop') ? { pizzeriaId: s('shop') || null } : {}),
    };
    return bodyChange(locals.locale, key, body, mappingSchema, async (d) => {
      const mapped = await mapItem(db(), actorOf(user), backOfficePlatforms(config()), platform.data, d);
      return { retried: await retryMapped(db(), platform.data, mapped.pizzeriaId) };
    });
  },
};
