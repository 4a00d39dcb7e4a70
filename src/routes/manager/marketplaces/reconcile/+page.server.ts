import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { can } from '$lib/domain/permissions.ts';
import { weekStartOf } from '$lib/domain/marketplace-reconcile.ts';
import { platformId, reconcileQuery, weekSchema } from '$lib/shapes/marketplace-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { todayInParis } from '$lib/server/money/takings.ts';
import { fetchReport, reconcileStores } from '$lib/server/marketplaces/reconcile.ts';
import { backOfficePlatforms, platformsOf } from '$lib/server/marketplaces/stores.ts';
import type { Actions, PageServerLoad } from './$types';

// a platform's week, store by store: our orders, the platform's report, every difference; the last
// week by default (the one whose report a platform has made)
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const providers = backOfficePlatforms(config());
  const today = await todayInParis(db());
  const lastWeek = weekStartOf(new Date(Date.parse(`${today}T12:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10));
  const asked = { platform: url.searchParams.get('platform') ?? providers[0]?.id ?? '', week: url.searchParams.get('week') ?? lastWeek };
  const q = reconcileQuery.safeParse(asked);
  const platform = q.success ? q.data.platform : (providers[0]?.id ?? '');
  const week = q.success ? q.data.week : lastWeek;
  const known = providers.some((p) => p.id === platform);
  const stores = known ? await reconcileStores(db(), actorOf(user), providers, platform, week) : [];
  return { platforms: platformsOf(providers), platform, week, stores, badWeek: url.searchParams.has('week') && !weekSchema.safeParse(url.searchParams.get('week')).success };
};

export const actions: Actions = {
  fetch: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'fetch', errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });
    const s = (k: string) => String(form.get(k) ?? '').trim();
    const schema = z.object({ platform: platformId, shop: z.coerce.number().int().positive().max(2_147_483_647), week: weekSchema });
    return bodyChange(locals.locale, `fetch-${s('shop')}`, { platform: s('platform'), shop: s('shop'), week: s('week') }, schema, async (d) => {
      await fetchReport(db(), actorOf(user), backOfficePlatforms(config()), d.platform, d.shop, d.week);
    });
  },
};
