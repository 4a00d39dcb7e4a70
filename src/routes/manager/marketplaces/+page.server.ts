import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { can, may } from '$lib/domain/permissions.ts';
import { denySchema, platformId, storeSchema } from '$lib/shapes/marketplace-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { acceptWaiting, denyWaiting, queueMenuPush } from '$lib/server/flows/platform-office.ts';
import {
  backOfficePlatforms, checkShop, connectStore, knownPlatform, listConnections, listPlatformPrices, platformsOf, setPlatformPrice, storeOf, waitingOrders,
} from '$lib/server/marketplaces/stores.ts';
import { notFound } from '$lib/server/kernel/errors.ts';
import type { Actions, PageServerLoad } from './$types';

// the shop's stores on each platform (head office: every shop's), the platform orders waiting for a
// manager, and the products' prices on each platform (set by head office)
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const actor = actorOf(user);
  const providers = backOfficePlatforms(config());
  const shops = await listConnections(db(), actor, providers);
  const [waiting, prices] = await Promise.all([waitingOrders(db(), shops.map((s) => s.shop.id)), listPlatformPrices(db(), providers)]);
  return { platforms: platformsOf(providers), shops, waiting, prices: prices.products, setsPrices: may(user.role, can.runChain), now: Date.now() };
};

const id = z.coerce.number().int().positive().max(2_147_483_647);
const where = z.object({ shop: id, platform: platformId });
const s = (form: FormData, k: string) => String(form.get(k) ?? '').trim();
const pct = (form: FormData, k: string) => (s(form, k) === '' ? undefined : s(form, k).replace(',', '.'));

async function formOf(request: Request) {
  return request.formData().catch(() => null);
}
const notAForm = (f: string) => fail(415, { form: f, errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });

export const actions: Actions = {
  store: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await formOf(request);
    if (!form) return notAForm('store');
    const key = `store-${s(form, 'shop')}-${s(form, 'platform')}`;
    const at = where.safeParse({ shop: s(form, 'shop'), platform: s(form, 'platform') });
    if (!at.success) return fail(400, { form: key, errors: { form: 'no such shop or platform' } as Record<string, string>, values: {} as Record<string, string> });
    const body = { storeId: s(form, 'storeId'), enabled: form.has('enabled'), autoAccept: form.has('autoAccept'), markupPct: pct(form, 'markupPct'), commissionPct: pct(form, 'commissionPct') };
    return bodyChange(locals.locale, key, body, storeSchema, (d) =>
      connectStore(db(), actorOf(user), backOfficePlatforms(config()), at.data.shop, at.data.platform, d),
    );
  },
  push: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await formOf(request);
    if (!form) return notAForm('push');
    const key = `push-${s(form, 'shop')}-${s(form, 'platform')}`;
    return bodyChange(locals.locale, key, { shop: s(form, 'shop'), platform: s(form, 'platform') }, where, async (d) => {
      checkShop(actorOf(user), d.shop);
      knownPlatform(backOfficePlatforms(config()), d.platform);
      if (!(await storeOf(db(), d.platform, d.shop))) throw notFound('store on this platform');
      await queueMenuPush(d.shop, d.platform);
    });
  },
  accept: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await formOf(request);
    if (!form) return notAForm('accept');
    return bodyChange(locals.locale, `waiting-${s(form, 'id')}`, { id: s(form, 'id') }, z.object({ id }), (d) => acceptWaiting(db(), d.id, actorOf(user)));
  },
  deny: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const form = await formOf(request);
    if (!form) return notAForm('deny');
    const body = { id: s(form, 'id'), reason: s(form, 'reason'), explanation: s(form, 'explanation') };
    return bodyChange(locals.locale, `waiting-${s(form, 'id')}`, body, denySchema.extend({ id }), (d) => denyWaiting(db(), d.id, d.reason, d.explanation, actorOf(user)));
  },
  prices: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await formOf(request);
    if (!form) return notAForm('prices');
    const platform = s(form, 'platform');
    // each product's field: euros, or empty for ours plus the markup; only those changed are written
    const changes: { productId: number; priceCents: number | null }[] = [];
    for (const [k, v] of form) {
      const m = /^p_(\d+)$/.exec(k);
      if (!m || String(form.get(`was_${m[1]}`) ?? '') === String(v).trim()) continue;
      const text = String(v).trim().replace(',', '.');
      const cents = text === '' ? null : /^\d{1,4}(\.\d{1,2})?$/.test(text) ? Math.round(Number(text) * 100) : -1;
      changes.push({ productId: Number(m[1]), priceCents: cents });
    }
    const schema = z.object({ platform: platformId, changes: z.array(z.object({ productId: id, priceCents: z.number().int().min(1).max(100_000).nullable() })) });
    return bodyChange(locals.locale, 'prices', { platform, changes }, schema, async (d) => {
      for (const c of d.changes) await setPlatformPrice(db(), actorOf(user), backOfficePlatforms(config()), d.platform, c.productId, c.priceCents);
      return d.changes.length;
    });
  },
};
