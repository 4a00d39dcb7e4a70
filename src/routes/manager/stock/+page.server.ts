import { fail } from '@sveltejs/kit';
import { countSchema, deliverySchema, fieldErrors, fromForm, movementsQuery, thresholdSchema } from '$lib/back-office-requests.ts';
import { createI18n } from '$lib/i18n/index.ts';
import { listPizzerias } from '$lib/server/catalogue.ts';
import { db } from '$lib/server/db.ts';
import { AppError } from '$lib/server/errors.ts';
import type { StaffActor } from '$lib/server/orders.ts';
import { requireRole, shopFor } from '$lib/server/page-guards.ts';
import { countStock, lowStock, receiveDelivery, setLowThreshold, stockMovements, stockOfShop } from '$lib/server/stock.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, ['manager', 'admin']);
  const all = await listPizzerias(db());
  const shops = user.role === 'admin' ? all : all.filter((p) => p.id === user.pizzeriaId);
  const shop = shopFor(user, url, shops);
  const q = movementsQuery.safeParse(Object.fromEntries([...url.searchParams].filter(([k]) => ['page', 'ingredientId', 'kind'].includes(k))));
  const filter = q.success ? q.data : {};
  const [lines, movements, low] = await Promise.all([stockOfShop(db(), shop, locals.locale), stockMovements(db(), shop, filter, locals.locale), lowStock(db(), shop)]);
  return { shops, shop: shops.find((s) => s.id === shop)!, lines, movements, filter, low: { pizzeriaId: shop, low } };
};

type Form = 'delivery' | 'count' | 'threshold';

/** One back-office change from a form: checked by the API's schema, done by the same service, its refusal shown in the user's language. */
async function change<T>(
  form: Form,
  request: Request,
  locals: App.Locals,
  url: URL,
  fields: readonly string[],
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } },
  run: (actor: StaffActor, shop: number, data: T) => Promise<unknown>,
) {
  const user = requireRole(locals, url, ['manager', 'admin']);
  const t = createI18n(locals.locale).t;
  const data = await request.formData().catch(() => null);
  if (!data) return fail(415, { form, errors: { form: t('form.notAForm') }, values: {} });
  const values = fromForm(data, [...fields, 'shop']);
  const shop = Number(values.shop);
  delete values.shop;
  const parsed = schema.safeParse(values);
  if (!parsed.success) return fail(422, { form, errors: fieldErrors(parsed.error, t), values });
  try {
    const actor: StaffActor = { kind: 'staff', id: user.id, role: user.role, pizzeriaId: user.pizzeriaId, name: user.name };
    const result = await run(actor, Number.isInteger(shop) && shop > 0 ? shop : (user.pizzeriaId ?? 0), parsed.data);
    return { form, done: true, result };
  } catch (err) {
    if (err instanceof AppError) {
      // the service's refusal, in the user's words when it is one the page knows
      const known = t(`stock.error.${err.code}`, { defaultValue: '' });
      const fields = Object.fromEntries(Object.entries(err.details.fields ?? {}).map(([k, v]) => [k, known || v]));
      return fail(err.status, { form, errors: { ...fields, form: known || err.message }, values });
    }
    throw err;
  }
}

export const actions: Actions = {
  delivery: ({ request, locals, url }) =>
    change('delivery', request, locals, url, ['ingredientId', 'quantity', 'supplier', 'receivedOn', 'note'], deliverySchema, (a, shop, d) => receiveDelivery(db(), a, shop, d)),
  count: ({ request, locals, url }) =>
    change('count', request, locals, url, ['ingredientId', 'counted', 'reason', 'note'], countSchema, (a, shop, d) => countStock(db(), a, shop, d)),
  threshold: ({ request, locals, url }) =>
    change('threshold', request, locals, url, ['ingredientId', 'lowThreshold'], thresholdSchema, (a, shop, d) => setLowThreshold(db(), a, shop, d)),
};
