import { getMenu, listPizzerias } from '$lib/server/catalogue.ts';
import { db } from '$lib/server/db.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ url, locals }) => {
  const pizzerias = await listPizzerias(db());
  const shop = pizzerias.find((p) => p.slug === url.searchParams.get('shop')) ?? null;
  return { pizzerias, shop, menu: shop ? await getMenu(db(), shop.id, locals.locale) : [] };
};
