import { getOrderingMenu, listPizzerias } from '$lib/server/catalogue.ts';
import { config } from '$lib/server/config.ts';
import { db } from '$lib/server/db.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ url, locals }) => {
  const pizzerias = await listPizzerias(db());
  const shop = pizzerias.find((p) => p.slug === url.searchParams.get('shop')) ?? null;
  return { pizzerias, shop, onlinePayment: config().paymentMode !== 'off', ...(shop ? await getOrderingMenu(db(), shop.id, locals.locale) : { menu: [], categories: [], revision: 0 }) };
};
