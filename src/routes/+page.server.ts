import { getOrderingMenu, listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { checkoutPrefill } from '$lib/server/customers/account.ts';
import { reorderDraft } from '$lib/server/flows/reorder.ts';
import type { PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const load: PageServerLoad = async ({ url, locals }) => {
  // a training shop is its staff's, never a customer's
  const pizzerias = (await listPizzerias(db())).filter((p) => !p.training);
  // "the same again" (?again=<order>): a signed-in customer's earlier order, back in its shop's checkout for review
  const wanted = url.searchParams.get('again') ?? '';
  const again = locals.customer && UUID.test(wanted) ? await reorderDraft(db(), locals.customer.id, wanted) : null;
  const shop = (again ? pizzerias.find((p) => p.id === again.pizzeriaId) : pizzerias.find((p) => p.slug === url.searchParams.get('shop'))) ?? null;
  // a signed-in customer's checkout is filled in from their account
  const known = locals.customer ? await checkoutPrefill(db(), locals.customer) : null;
  return {
    pizzerias, shop, known, again, onlinePayment: config().paymentMode !== 'off',
    ...(shop ? await getOrderingMenu(db(), shop.id, locals.locale) : { menu: [], categories: [], revision: 0 }),
  };
};
