import { z } from 'zod';
import { categoryCreateSchema, categoryMoveSchema, categorySchema, fromForm, productCreateSchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, bodyChange, formChange, productFromForm } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { createCategory, createProduct, deleteCategory, listCategoryRecords, listIngredients, listProducts, moveCategory, updateCategory } from '$lib/server/menu/index.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  requireRole(locals, url, can.runChain);
  const [products, ingredients, categories] = await Promise.all([listProducts(db()), listIngredients(db()), listCategoryRecords(db())]);
  return { products, ingredients, categories };
};

const categoryRef = z.coerce.number().int().positive().max(2_147_483_647);
/** The category a form is about (its id in the form), or null. */
const categoryOf = (form: FormData) => {
  const parsed = categoryRef.safeParse(form.get('categoryId'));
  return parsed.success ? parsed.data : null;
};

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    return bodyChange(locals.locale, 'create', productFromForm(form), productCreateSchema, (d) => createProduct(db(), actorOf(user), d));
  },
  addCategory: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    return formChange(request, locals.locale, 'category-new', ['slug', 'name', 'nameEn'], categoryCreateSchema, (d) => createCategory(db(), actorOf(user), d));
  },
  renameCategory: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    const body = fromForm(form, ['categoryId', 'name', 'nameEn']);
    return bodyChange(locals.locale, `category-${categoryOf(form)}`, body, categorySchema.extend({ categoryId: categoryRef }), ({ categoryId, ...d }) =>
      updateCategory(db(), actorOf(user), categoryId, d),
    );
  },
  moveCategory: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    return formChange(request, locals.locale, 'category-move', ['categoryId', 'direction'], categoryMoveSchema.extend({ categoryId: categoryRef }), (d) =>
      moveCategory(db(), actorOf(user), d.categoryId, d.direction),
    );
  },
  deleteCategory: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    return formChange(request, locals.locale, 'category-delete', ['categoryId'], z.strictObject({ categoryId: categoryRef }), (d) =>
      deleteCategory(db(), actorOf(user), d.categoryId),
    );
  },
};
