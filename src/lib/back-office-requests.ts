// What the back office's forms and its JSON API accept: one zod schema per change, used by the
// SvelteKit form actions (the pages) and the Express routes (the API) alike. Numbers typed in a
// form arrive as text: `fromForm` reads a FormData into the shape the schema expects. Messages are
// keys of the `form` messages (src/lib/i18n), so each reader gets them in their language: the
// pages in the user's, the API in English.
import { z } from 'zod';
import { PG_INT_MAX, id, noControl } from './order-requests.ts';

const quantity = (max: number) => z.coerce.number({ error: 'form.number' }).int('form.whole').min(0, 'form.notNegative').max(max, 'form.tooBig');
const optionalText = (max: number) =>
  z.string().trim().max(max, 'form.tooLong').refine(noControl, 'form.control').transform((v) => v || undefined).optional();
const ref = z.coerce.number({ error: 'form.choose' }).int('form.choose').positive('form.choose').max(PG_INT_MAX, 'form.choose');

export const STOCK_REASONS = ['count', 'waste', 'breakage'] as const;
export type StockReason = (typeof STOCK_REASONS)[number];

/** A delivery of an ingredient received at the shop. */
export const deliverySchema = z.strictObject({
  ingredientId: ref,
  quantity: quantity(10_000_000).refine((n) => n > 0, 'form.positive'),
  supplier: optionalText(120),
  receivedOn: z.iso.date('form.date').optional().or(z.literal('').transform(() => undefined)),
  note: optionalText(300),
});
export type DeliveryRequest = z.output<typeof deliverySchema>;

/** What is on the shelf now, counted; the difference is recorded with its reason. */
export const countSchema = z.strictObject({
  ingredientId: ref,
  counted: quantity(10_000_000),
  reason: z.enum(STOCK_REASONS, 'form.reason'),
  note: optionalText(300),
});
export type CountRequest = z.output<typeof countSchema>;

export const thresholdSchema = z.strictObject({
  ingredientId: ref,
  lowThreshold: quantity(PG_INT_MAX),
});
export type ThresholdRequest = z.output<typeof thresholdSchema>;

export const movementsQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  ingredientId: z.coerce.number().pipe(id).optional(),
  kind: z.enum(['delivery', 'count', 'waste', 'breakage']).optional(),
});

export const auditQuery = z.strictObject({
  q: z.string().trim().max(100).refine(noControl, 'no control characters').optional(),
  entity: z.string().trim().max(40).regex(/^[a-z_]*$/, 'a record kind').optional(),
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  shop: z.coerce.number().pipe(id).optional(),
});

/** A form's fields as a plain object (empty fields left out), for the schemas above. */
export function fromForm(form: FormData, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = form.get(f);
    if (typeof v === 'string' && v.trim() !== '') out[f] = v.slice(0, 2000);
  }
  return out;
}

/**
 * zod's issues as one message per field (the first), in the reader's language: `t` translates the
 * schema's message keys (a message that is not a key is kept as it is).
 */
export function fieldErrors(error: z.ZodError, t: (key: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of error.issues) {
    const key = String(i.path[0] ?? 'form');
    const message = i.message.startsWith('form.') ? t(i.message) : i.code === 'unrecognized_keys' ? t('form.unknownField') : i.message;
    out[key] ??= message;
  }
  return out;
}

// ---------- staff ----------

export const STAFF_ROLES = ['admin', 'manager', 'kitchen', 'counter', 'driver'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
const email = z.string().trim().toLowerCase().max(200, 'form.tooLong').pipe(z.email('form.email'));
const personName = z.string().trim().min(1, 'form.required').max(80, 'form.tooLong').refine(noControl, 'form.control');
const shopRef = z.coerce.number({ error: 'form.choose' }).int('form.choose').positive('form.choose').max(PG_INT_MAX, 'form.choose');

export const staffCreateSchema = z.strictObject({
  email,
  name: personName,
  role: z.enum(STAFF_ROLES, 'form.choose'),
  pizzeriaId: shopRef.optional(),
});
export type StaffCreateRequest = z.output<typeof staffCreateSchema>;

export const staffUpdateSchema = z.strictObject({
  email: email.optional(),
  name: personName.optional(),
  role: z.enum(STAFF_ROLES, 'form.choose').optional(),
  pizzeriaId: shopRef.optional(),
});
export type StaffUpdateRequest = z.output<typeof staffUpdateSchema>;

export const staffQuery = z.strictObject({
  q: z.string().trim().max(100).refine(noControl, 'form.control').optional(),
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  shop: z.coerce.number().pipe(id).optional(),
  role: z.enum(STAFF_ROLES).optional(),
  active: z.enum(['yes', 'no']).optional(),
});

/** A new password, chosen from an invitation or reset link. */
export const passwordSchema = z.strictObject({
  token: z.string().min(20, 'form.linkInvalid').max(100, 'form.linkInvalid').regex(/^[A-Za-z0-9_-]+$/, 'form.linkInvalid'),
  password: z.string().min(10, 'form.passwordShort').max(200, 'form.tooLong').refine(noControl, 'form.control'),
});

export const forgotSchema = z.strictObject({ email });
