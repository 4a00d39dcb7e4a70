import { productCreateSchema } from '$lib/back-office-requests.ts';
import { actorOf, bodyChange, productFromForm } from '$lib/server/back-office-forms.ts';
import { db } from '$lib/server/db.ts';
import { createProduct, listIngredients, listProducts } from '$lib/server/menu.ts';
import { requireRole } from '$lib/server/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  requireRole(locals, url, ['admin']);
  const [products, ingredients] = await Promise.all([listProducts(db()), listIngredients(db())]);
  return { products, ingredients };
};

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, ['admin']);
    const form = await request.formData().catch(() => new FormData());
    return bodyChange(locals.locale, 'create', productFromForm(form), productCreateSchema, (d) => createProduct(db(), actorOf(user), d));
  },
};
