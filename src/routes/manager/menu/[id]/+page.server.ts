import { error } from '@sveltejs/kit';
import { optionSchema, productSchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, bodyChange, optionFromForm, productFromForm } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { createOption, deleteOption, getProduct, listCategoryRecords, listIngredients, setProductPhoto, updateOption, updateProduct } from '$lib/server/menu/index.ts';
import { mediaStoreFrom } from '$lib/server/shops/media.ts';
import { config } from '$lib/server/kernel/config.ts';
import { z } from 'zod';

const photoForm = z.object({ photo: z.string() });
const optionRef = z.object({ optionId: z.coerce.number().int().positive().max(2_147_483_647) });
const pageMedia = () => mediaStoreFrom(config());
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

const idOf = (raw: string) => {
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) error(404, 'Not found');
  return Number(raw);
};

export const load: PageServerLoad = async ({ locals, url, params }) => {
  requireRole(locals, url, can.runChain);
  const product = await getProduct(db(), idOf(params.id)).catch((err) => {
    if (err instanceof AppError && err.status === 404) error(404, 'Not found');
    throw err;
  });
  const [ingredients, categories] = await Promise.all([listIngredients(db()), listCategoryRecords(db())]);
  return { product, ingredients, categories };
};

export const actions: Actions = {
  photo: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runChain);
    const file = (await request.formData().catch(() => new FormData())).get('photo');
    const bytes = file instanceof File ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
    return bodyChange(locals.locale, 'photo', { photo: 'file' }, photoForm, () => setProductPhoto(db(), pageMedia(), actorOf(user), idOf(params.id), bytes));
  },
  save: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    return bodyChange(locals.locale, 'edit', productFromForm(form), productSchema, (d) => updateProduct(db(), actorOf(user), idOf(params.id), d));
  },
  /** A new option, or one changed (its id in the form). */
  option: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    const id = form.get('optionId');
    const optionId = typeof id === 'string' && /^[1-9][0-9]{0,8}$/.test(id) ? Number(id) : null;
    return bodyChange(locals.locale, optionId ? `option-${optionId}` : 'option-new', optionFromForm(form), optionSchema, (d) =>
      optionId ? updateOption(db(), actorOf(user), optionId, d) : createOption(db(), actorOf(user), idOf(params.id), d),
    );
  },
  deleteOption: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    return bodyChange(locals.locale, 'option-delete', { optionId: form.get('optionId') }, optionRef, (d) => deleteOption(db(), actorOf(user), d.optionId));
  },
};
