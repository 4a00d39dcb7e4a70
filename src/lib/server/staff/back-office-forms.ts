// The back office's SvelteKit form actions share this: read the form, check it with the API's
// schema, run the same service as the API, and answer with field errors in the user's language.
import { fail } from '@sveltejs/kit';
import type { ZodError } from 'zod';
import { fieldErrors, fromForm } from '../../shapes/back-office-requests.ts';
import { createI18n, type Locale } from '../../i18n/index.ts';
import { config } from '../kernel/config.ts';
import { AppError } from '../kernel/errors.ts';
import { pageMailer } from '../kernel/mailer.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { SessionUser } from './auth.ts';
import type { AccountLinks } from './staff.ts';

export const actorOf = (user: SessionUser): StaffActor => ({ kind: 'staff', id: user.id, role: user.role, pizzeriaId: user.pizzeriaId, name: user.name });

/** What account links need; they point to the configured origin, never the request's. */
export async function pageLinks(): Promise<AccountLinks> {
  const c = config();
  return { mailer: await pageMailer(), origin: c.publicOrigin, inviteTtlHours: c.INVITE_TTL_HOURS, resetTtlMinutes: c.RESET_TTL_MINUTES };
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } };

/**
 * One change from a form: `fields` are read from it and checked by `schema`; `run` does it. A
 * refusal comes back as `fail(status, { form, errors, values })`, errors keyed by field (and `form`
 * for the whole), translated: the schema's message keys, and the service's codes known under
 * `errors.<code>`.
 */
export async function formChange<T, R>(
  request: Request,
  locale: Locale,
  form: string,
  fields: readonly string[],
  schema: Schema<T>,
  run: (data: T, raw: Record<string, string>) => Promise<R>,
) {
  const t = createI18n(locale).t;
  const data = await request.formData().catch(() => null);
  if (!data) return fail(415, { form, errors: { form: t('form.notAForm') } as Record<string, string>, values: {} as Record<string, string> });
  const values = fromForm(data, fields);
  return bodyChange(locale, form, values, schema, (d) => run(d, values));
}

/** A product form as the API's body: tags and the active box, steps one per line, the recipe from its quantity fields (q_<ingredient id>). */
export function productFromForm(form: FormData): Record<string, unknown> {
  const text = (k: string) => (typeof form.get(k) === 'string' ? String(form.get(k)).slice(0, 2000) : undefined);
  const recipe = [...form.entries()]
    .filter(([k, v]) => /^q_\d{1,9}$/.test(k) && typeof v === 'string' && v.trim() !== '')
    .map(([k, v]) => ({ ingredientId: Number(k.slice(2)), quantity: String(v).trim() }));
  return {
    ...(text('slug') !== undefined ? { slug: text('slug') } : {}),
    name: text('name') ?? '',
    nameEn: text('nameEn') ?? null,
    description: text('description') ?? '',
    descriptionEn: text('descriptionEn') ?? null,
    category: text('category'),
    ...(text('categoryId') ? { categoryId: text('categoryId') } : {}),
    priceCents: text('price') ?? '',
    vatRates: { pickup: text('vatPickup'), delivery: text('vatDelivery') },
    tags: form.getAll('tags').map(String),
    active: form.has('active'),
    steps: (text('steps') ?? '').split('\n').map((s) => s.trim()).filter(Boolean),
    recipe,
  };
}

/**
 * An option form as the API's body: the ingredient a "without" leaves out, and what a size or an
 * extra adds, from its rows (add_<n> the ingredient, addq_<n> the quantity; empty rows left out).
 */
export function optionFromForm(form: FormData): Record<string, unknown> {
  const text = (k: string) => (typeof form.get(k) === 'string' ? String(form.get(k)).slice(0, 2000).trim() : '');
  const kind = text('kind');
  const rows = [0, 1, 2, 3]
    .map((n) => ({ ingredientId: text(`add_${n}`), quantity: text(`addq_${n}`) }))
    .filter((r) => r.ingredientId !== '' || r.quantity !== '');
  return {
    kind,
    name: text('name'),
    nameEn: text('nameEn') || null,
    ...(kind === 'without' ? {} : { priceCents: text('price') || '0' }),
    ...(kind === 'without' && text('removes') ? { removesIngredientId: text('removes') } : {}),
    ...(kind === 'without' ? {} : { ingredients: rows }),
  };
}

/** Runs a change whose body is already read from the form (fields that are lists, checkboxes). */
export async function bodyChange<T, R>(locale: Locale, form: string, body: Record<string, unknown>, schema: Schema<T>, run: (data: T) => Promise<R>) {
  const t = createI18n(locale).t;
  const values = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const parsed = schema.safeParse(body);
  if (!parsed.success) return fail(422, { form, errors: fieldErrors(parsed.error, t), values });
  try {
    return { form, done: true as const, result: await run(parsed.data) };
  } catch (err) {
    if (err instanceof AppError) {
      const known = t(`errors.${err.code}`, { defaultValue: '' });
      const fieldsOf = Object.fromEntries(Object.entries(err.details.fields ?? {}).map(([k, v]) => [k, known || String(v)]));
      return fail(err.status, { form, errors: Object.keys(fieldsOf).length ? fieldsOf : { form: known || err.message }, values });
    }
    throw err;
  }
}
