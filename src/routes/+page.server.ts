import { getOrderingMenu, listPizzerias } from '$lib/server/catalogue.ts';
import { config } from '$lib/server/config.ts';
import { db } from '$lib/server/db.ts';
import { checkoutPrefill } from '$lib/server/customers/account.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ url, locals }) => {
  const pizzerias = await listPizzerias(db());
  const shop = pizzerias.find((p) => p.slug === url.searchParams.get('shop')) ?? null;
  // a signed-in customer's checkout is filled in from their account
  const known = locals.customer ? await checkoutPrefill(db(), locals.customer) : null;
  return { pizzerias, shop, known, onlinePayment: config().paymentMode !== 'off', ...(shop ? await getOrderingMenu(db(), shop.id, locals.locale) : { menu: [], categories: [], revision: 0 }) };
};
