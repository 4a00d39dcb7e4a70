import { z } from 'zod';
import { countSchema, deliverySchema, movementsQuery, thresholdSchema, tonightSchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { getMenu, listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import { countStock, lowStock, receiveDelivery, setLowThreshold, setOffTonight, stockMovements, stockOfShop } from '$lib/server/stock/stock.ts';
import type { Actions, PageServerLoad } from './$types';
import { can, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const shops = shopsOf(user, all);
  const shop = shopFor(user, url, shops);
  const q = movementsQuery.safeParse(Object.fromEntries([...url.searchParams].filter(([k]) => ['page', 'ingredientId', 'kind'].includes(k))));
  const filter = q.success ? q.data : {};
  const [lines, movements, low, menu] = await Promise.all([
    stockOfShop(db(), shop, locals.locale),
    stockMovements(db(), shop, filter, locals.locale),
    lowStock(db(), shop),
    getMenu(db(), shop, locals.locale),
  ]);
  return { shops, shop: shops.find((s) => s.id === shop)!, lines, movements, filter, low: { pizzeriaId: shop, low }, menu };
};

/** The shop a form names (head office picks one), else the user's own. */
const shopOf = (raw: Record<string, string>, user: { pizzeriaId: number | null }) => {
  const shop = Number(raw.shop);
  return Number.isInteger(shop) && shop > 0 ? shop : (user.pizzeriaId ?? 0);
};

export const actions: Actions = {
  delivery: ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'delivery', [...DELIVERY_FIELDS, 'shop'], deliverySchema.extend({ shop: z.string().optional() }), ({ shop: _, ...d }, raw) =>
      receiveDelivery(db(), actorOf(user), shopOf(raw, user), d),
    );
  },
  count: ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'count', [...COUNT_FIELDS, 'shop'], countSchema.extend({ shop: z.string().optional() }), ({ shop: _, ...d }, raw) =>
      countStock(db(), actorOf(user), shopOf(raw, user), d),
    );
  },
  tonight: ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'tonight', ['productId', 'available', 'shop'], tonightSchema.extend({ shop: z.string().optional() }), ({ shop: _, ...d }, raw) =>
      setOffTonight(db(), actorOf(user), shopOf(raw, user), d.productId, !d.available),
    );
  },
  threshold: ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'threshold', ['ingredientId', 'lowThreshold', 'shop'], thresholdSchema.extend({ shop: z.string().optional() }), ({ shop: _, ...d }, raw) =>
      setLowThreshold(db(), actorOf(user), shopOf(raw, user), d),
    );
  },
};

const DELIVERY_FIELDS = ['ingredientId', 'quantity', 'supplier', 'receivedOn', 'note'] as const;
const COUNT_FIELDS = ['ingredientId', 'counted', 'reason', 'note'] as const;
