import { EU_ALLERGENS, ingredientCreateSchema, ingredientSchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { createIngredient, listIngredients, updateIngredient } from '$lib/server/menu/index.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';
import { ALLERGEN_KINDS } from '$lib/domain/allergen-kinds.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  requireRole(locals, url, can.runChain);
  return { ingredients: await listIngredients(db()), allergens: EU_ALLERGENS, kinds: ALLERGEN_KINDS };
};

/** An ingredient form as the API's body (its allergens are checkboxes). */
const ingredientFromForm = (f: FormData) => ({
  ...(typeof f.get('slug') === 'string' ? { slug: String(f.get('slug')).slice(0, 100) } : {}),
  name: String(f.get('name') ?? '').slice(0, 200),
  nameEn: String(f.get('nameEn') ?? '').slice(0, 200) || null,
  unit: String(f.get('unit') ?? ''),
  allergens: f.getAll('allergens').map(String).slice(0, 20),
  allergenKinds: f.getAll('allergenKinds').map(String).slice(0, 20),
});

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const f = await request.formData().catch(() => new FormData());
    return bodyChange(locals.locale, 'create', ingredientFromForm(f), ingredientCreateSchema, (d) => createIngredient(db(), actorOf(user), d));
  },
  update: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const f = await request.formData().catch(() => new FormData());
    const id = Number(f.get('id'));
    return bodyChange(locals.locale, `i${id}`, ingredientFromForm(f), ingredientSchema, (d) => updateIngredient(db(), actorOf(user), Number.isInteger(id) ? id : 0, d));
  },
};
