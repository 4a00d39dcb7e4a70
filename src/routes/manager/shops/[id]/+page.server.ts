import { error } from '@sveltejs/kit';
import { SHOP_FIELDS, pauseSchema, shopSettingsSchema } from '$lib/back-office-requests.ts';
import { isOpenAt } from '$lib/domain/opening-hours.ts';
import { actorOf, formChange } from '$lib/server/back-office-forms.ts';
import { getPizzeria } from '$lib/server/catalogue.ts';
import { config } from '$lib/server/config.ts';
import { db } from '$lib/server/db.ts';
import { requireRole } from '$lib/server/page-guards.ts';
import { hoursToForm, setOnlinePaused, updateShop } from '$lib/server/shops.ts';
import type { Actions, PageServerLoad } from './$types';

const shopId = (raw: string, user: { role: string; pizzeriaId: number | null }) => {
  const id = Number(raw);
  if (!/^[1-9][0-9]{0,9}$/.test(raw) || id > 2_147_483_647) error(404, 'Not found');
  if (user.role !== 'admin' && user.pizzeriaId !== id) error(404, 'Not found');
  return id;
};

export const load: PageServerLoad = async ({ locals, url, params }) => {
  const user = requireRole(locals, url, ['manager', 'admin']);
  const shop = await getPizzeria(db(), shopId(params.id, user));
  if (!shop) error(404, 'Not found');
  const polygon = shop.zone.kind === 'polygon' ? shop.zone.points.map((p) => `${p.lat}, ${p.lng}`).join('\n') : '';
  return {
    shop,
    openNow: !shop.openingHours || isOpenAt(shop.openingHours, new Date()),
    headOffice: user.role === 'admin',
    chainPrepMinutes: Math.round(config().PREP_TARGET_SECONDS / 60),
    values: {
      name: shop.name,
      address: shop.address,
      lat: String(shop.lat),
      lng: String(shop.lng),
      phone: shop.phone ?? '',
      deliveryRadiusM: String(shop.zone.kind === 'radius' ? shop.zone.radiusM : 3000),
      deliveryPolygon: polygon,
      prepTargetMinutes: shop.prepTargetSeconds ? String(Math.round(shop.prepTargetSeconds / 60)) : '',
      ...hoursToForm(shop.openingHours),
    } as Record<string, string>,
  };
};

export const actions: Actions = {
  settings: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, ['admin']);
    const id = shopId(params.id, user);
    return formChange(request, locals.locale, 'settings', SHOP_FIELDS, shopSettingsSchema, (d) => updateShop(db(), actorOf(user), id, d));
  },
  online: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, ['manager', 'admin']);
    const id = shopId(params.id, user);
    return formChange(request, locals.locale, 'online', ['paused'], pauseSchema, (d) => setOnlinePaused(db(), actorOf(user), id, d.paused));
  },
};
