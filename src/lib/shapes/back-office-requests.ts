// What the back office's forms and its JSON API accept: one zod schema per change, used by the
// SvelteKit form actions (the pages) and the Express routes (the API) alike. Numbers typed in a
// form arrive as text: `fromForm` reads a FormData into the shape the schema expects. Messages are
// keys of the `form` messages (src/lib/i18n), so each reader gets them in their language: the
// pages in the user's, the API in English.
import { ROLES, type Role } from '../domain/order-states.ts';
import { z } from 'zod';
import { PG_INT_MAX, id, noControl } from './order-requests.ts';
import { PRODUCT_KINDS } from '../domain/product-kinds.ts';
import { HALF_AND_HALF_PRICING } from '../domain/pricing.ts';
import { isVatRate } from '../domain/vat.ts';
import { EU_ALLERGENS } from '../domain/line-allergens.ts';
import { ALL_ALLERGEN_KINDS, kindsProblem, type AllergenKind } from '../domain/allergen-kinds.ts';

const quantity = (max: number) => z.coerce.number({ error: 'form.number' }).int('form.whole').min(0, 'form.notNegative').max(max, 'form.tooBig');
const optionalText = (max: number) =>
  z.string().trim().max(max, 'form.tooLong').refine(noControl, 'form.control').transform((v) => v || undefined).optional();
/** A short name in addresses and keys: "chevre-miel". */
const slug = z.string().trim().min(2, 'form.slug').max(40, 'form.slug').regex(/^[a-z0-9-]+$/, 'form.slug');
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

/** Money in cents, as the API sends it, or euros as typed in a form ("12,50"). */
const cents = (max: number) =>
  z.union([
    z.number('form.price').int('form.price').min(0, 'form.notNegative').max(max, 'form.tooBig'),
    z.string().trim().regex(/^\d{1,6}([.,]\d{1,2})?$/, 'form.price').transform((v) => Math.round(Number(v.replace(',', '.')) * 100)),
  ], { error: 'form.price' }).pipe(z.number().max(max, 'form.tooBig'));

/** What a driver brings back at the end of a shift. */
export const cashDeclareSchema = z.strictObject({ cashCents: cents(10_000_000), cardCents: cents(10_000_000) });
export type CashDeclareRequest = z.output<typeof cashDeclareSchema>;
/** The cash the manager counted, closing a driver's shift. */
export const cashCloseSchema = z.strictObject({ countedCashCents: cents(10_000_000), note: optionalText(300) });
export type CashCloseRequest = z.output<typeof cashCloseSchema>;
export const shiftsQuery = z.strictObject({ day: z.iso.date('form.date').optional() });
/** The day's takings: a Paris date (today when none), and the language of a CSV's headers and numbers. */
export const takingsQuery = z.strictObject({ date: z.iso.date('form.date').optional(), lang: z.enum(['fr', 'en'], 'form.lang').optional() });

/** A manager closes a day of their shop's fiscal journal (a Paris date, over). */
export const closeDaySchema = z.strictObject({ day: z.iso.date('form.date') });

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

/** The roles an account may have, as the order rules know them (src/lib/domain/order-states.ts). */
export const STAFF_ROLES = ROLES;
export type StaffRole = Role;
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

// ---------- shops ----------

const SPAN = /^([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d$/;
/** A day's opening spans as typed: "11:30-14:30, 18:00-23:30" (empty: closed that day). */
const daySpans = z
  .string()
  .trim()
  .max(100, 'form.tooLong')
  .refine((v) => v === '' || v.split(',').every((p) => SPAN.test(p.trim())), 'form.hours')
  .transform((v) => (v ? v.split(',').map((p) => p.split('-').map((t) => t.trim().padStart(5, '0')) as [string, string]) : []))
  .optional();
const dates = z
  .string()
  .trim()
  .max(1000, 'form.tooLong')
  .refine((v) => v === '' || v.split(/[\s,]+/).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d))), 'form.dates')
  .transform((v) => (v ? v.split(/[\s,]+/) : []))
  .optional();
/** A drawn zone as typed: one "lat, lng" per line, at least three (empty: the radius applies). */
const polygon = z
  .string()
  .trim()
  .max(4000, 'form.tooLong')
  .transform((v, ctx) => {
    if (!v) return null;
    const points = v.split(/\n+/).map((l) => l.split(/[,;\s]+/).filter(Boolean).map(Number));
    if (points.length < 3 || points.some((p) => p.length !== 2 || !(Math.abs(p[0]) <= 90) || !(Math.abs(p[1]) <= 180))) {
      ctx.addIssue({ code: 'custom', message: 'form.polygon' });
      return z.NEVER;
    }
    return points.map(([lat, lng]) => ({ lat, lng }));
  })
  .optional();

export const shopSettingsSchema = z.strictObject({
  name: personName,
  address: z.string().trim().min(1, 'form.required').max(200, 'form.tooLong').refine(noControl, 'form.control'),
  lat: z.coerce.number({ error: 'form.number' }).min(-90, 'form.lat').max(90, 'form.lat'),
  lng: z.coerce.number({ error: 'form.number' }).min(-180, 'form.lng').max(180, 'form.lng'),
  phone: z.string().trim().max(20, 'form.tooLong').regex(/^(\+?[0-9 .()-]{6,20})?$/, 'form.phone').optional(),
  deliveryRadiusM: z.coerce.number({ error: 'form.number' }).int('form.whole').min(300, 'form.radius').max(20_000, 'form.radius'),
  deliveryPolygon: polygon,
  hours1: daySpans, hours2: daySpans, hours3: daySpans, hours4: daySpans, hours5: daySpans, hours6: daySpans, hours7: daySpans,
  closedOn: dates,
  prepTargetMinutes: z.coerce.number({ error: 'form.number' }).int('form.whole').min(1, 'form.prepTarget').max(120, 'form.prepTarget').optional(),
  startTargetMinutes: z.coerce.number({ error: 'form.number' }).int('form.whole').min(1, 'form.startTarget').max(60, 'form.startTarget').optional(),
  handoverTargetMinutes: z.coerce.number({ error: 'form.number' }).int('form.whole').min(1, 'form.handoverTarget').max(120, 'form.handoverTarget').optional(),
  /** Oven minutes the kitchen makes per 15-minute slot (orders for later fill them): empty keeps 120. */
  ovenMinutesPerSlot: z.coerce.number({ error: 'form.number' }).int('form.whole').min(10, 'form.ovenMinutes').max(5000, 'form.ovenMinutes').optional(),
  /** How a half-and-half pizza is priced: its dearer half (when not said), or the average of its halves rounded up to the cent. */
  halfAndHalfPricing: z.enum(HALF_AND_HALF_PRICING, 'form.choose').optional(),
  /** The kitchen taps "Allergie lue" on an order's allergy note before starting it (off when not said). */
  allergyReadFirst: z.union([z.boolean(), z.enum(['yes', 'no'], 'form.choose').transform((v) => v === 'yes')]).optional(),
  /** What the shop says of cross-contact ("peut contenir"), in French and in English; empty: the chain's words. */
  crossContactFr: optionalText(400),
  crossContactEn: optionalText(400),
});
export type ShopSettingsRequest = z.output<typeof shopSettingsSchema>;
export const SHOP_FIELDS = ['name', 'address', 'lat', 'lng', 'phone', 'deliveryRadiusM', 'deliveryPolygon', 'hours1', 'hours2', 'hours3', 'hours4', 'hours5', 'hours6', 'hours7', 'closedOn', 'prepTargetMinutes', 'startTargetMinutes', 'handoverTargetMinutes', 'ovenMinutesPerSlot', 'halfAndHalfPricing', 'allergyReadFirst', 'crossContactFr', 'crossContactEn'] as const;

export const shopCreateSchema = shopSettingsSchema.extend({
  slug,
  /** A training shop (mode formation): said when it is opened, never changed after (migration 0094). */
  training: z.union([z.boolean(), z.enum(['true', 'false', 'on']).transform((v) => v !== 'false')]).optional(),
});

/** A shop's legal mentions as head office types them (checked further by src/lib/domain/receipt-mentions.ts). */
export const legalMentionsSchema = z.strictObject({ legalName: z.string().max(200), siret: z.string().max(40), vatNumber: z.string().max(40) });

export const pauseSchema = z.strictObject({ paused: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]) });

/** The busy lever: minutes added to every new promise of the shop (0: back to normal). */
export const BUSY_STEPS = [0, 10, 20] as const;
export const busySchema = z.strictObject({
  minutes: z.union(BUSY_STEPS.map((m) => z.literal(m)) as [z.ZodLiteral<0>, z.ZodLiteral<10>, z.ZodLiteral<20>], { error: 'form.busy' }),
});

/** A product off the shop's menu for the evening, or back on it. */
export const tonightSchema = z.strictObject({
  productId: ref,
  available: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
});

// ---------- menu: products, recipes, ingredients ----------

export { EU_ALLERGENS };
export const DIETARY_TAGS = ['vegetarian', 'spicy'] as const;
const label = (max: number) => z.string().trim().min(1, 'form.required').max(max, 'form.tooLong').refine(noControl, 'form.control');
const optionalLabel = (max: number) => z.string().trim().max(max, 'form.tooLong').refine(noControl, 'form.control').transform((v) => v || null).nullable().optional();
/** A price as typed ("12,50", "12.5") or in cents from the API. */
const euros = z.union([
  z.number('form.price').int('form.price').positive('form.price').max(100_000, 'form.price'),
  z.string().trim().regex(/^\d{1,4}([.,]\d{1,2})?$/, 'form.price').transform((v) => Math.round(Number(v.replace(',', '.')) * 100)).refine((c) => c > 0, 'form.price'),
], { error: 'form.price' });

/** A VAT rate as typed ("5,5") or sent: only the rates French law sets for what the shops sell. */
const vatRate = z.union([z.number('form.vat'), z.string().trim().regex(/^\d{1,2}([.,]\d)?$/, 'form.vat').transform((v) => Number(v.replace(',', '.')))], { error: 'form.vat' })
  .refine(isVatRate, 'form.vat');

export const productSchema = z.strictObject({
  name: label(80),
  nameEn: optionalLabel(80),
  description: z.string().trim().max(300, 'form.tooLong').refine(noControl, 'form.control').default(''),
  descriptionEn: optionalLabel(300),
  category: z.enum(PRODUCT_KINDS, 'form.choose'),
  /** Its section of the menu (a storefront tab); left out: where products of its kind are. */
  categoryId: ref.optional(),
  priceCents: euros,
  /** Its VAT rate taken away and delivered: a legal rate of a pizzeria's sales each (domain/vat.ts). */
  vatRates: z.strictObject({ pickup: vatRate, delivery: vatRate }, 'form.vat'),
  tags: z.array(z.enum(DIETARY_TAGS, 'form.choose')).max(2).default([]),
  active: z.boolean().default(true),
  /** The steps the kitchen reads, one per line. */
  steps: z.array(z.string().trim().min(1).max(200, 'form.tooLong').refine(noControl, 'form.control')).max(12, 'form.tooMany').default([]),
  recipe: z.array(z.strictObject({ ingredientId: ref, quantity: z.coerce.number().int('form.whole').positive('form.positive').max(100_000, 'form.tooBig') })).max(40, 'form.tooMany'),
});
export type ProductRequest = z.output<typeof productSchema>;
export const productCreateSchema = productSchema.extend({
  slug,
});

/** A section of the menu (a storefront tab). */
export const categorySchema = z.strictObject({ name: label(60), nameEn: optionalLabel(60) });
export type CategoryRequest = z.output<typeof categorySchema>;
export const categoryCreateSchema = categorySchema.extend({ slug });
export const categoryMoveSchema = z.strictObject({ direction: z.enum(['up', 'down'], 'form.choose') });

export const OPTION_KINDS = ['size', 'extra', 'without'] as const;
/** A price added to the product's: may be 0 ("0", "0,00" in a form). */
const extraEuros = z.union([
  z.number('form.price').int('form.price').min(0, 'form.price').max(5000, 'form.price'),
  z.string().trim().regex(/^\d{1,2}([.,]\d{1,2})?$/, 'form.price').transform((v) => Math.round(Number(v.replace(',', '.')) * 100)),
], { error: 'form.price' }).pipe(z.number().max(5000, 'form.price'));

/**
 * What a customer may choose on a product: a size or an extra adds ingredients (and a price), a
 * "without" leaves one of the recipe's ingredients out (free).
 */
export const optionSchema = z
  .strictObject({
    kind: z.enum(OPTION_KINDS, 'form.choose'),
    name: label(60),
    nameEn: optionalLabel(60),
    priceCents: extraEuros.default(0),
    removesIngredientId: ref.optional(),
    ingredients: z
      .array(z.strictObject({ ingredientId: ref, quantity: z.coerce.number().int('form.whole').positive('form.positive').max(100_000, 'form.tooBig') }))
      .max(10, 'form.tooMany')
      .default([]),
  })
  .superRefine((o, ctx) => {
    if (o.kind === 'without') {
      if (o.removesIngredientId === undefined) ctx.addIssue({ code: 'custom', path: ['removesIngredientId'], message: 'form.optionWithout' });
      if (o.priceCents !== 0) ctx.addIssue({ code: 'custom', path: ['priceCents'], message: 'form.optionFree' });
      if (o.ingredients.length) ctx.addIssue({ code: 'custom', path: ['ingredients'], message: 'form.optionWithoutAdds' });
    } else {
      if (o.removesIngredientId !== undefined) ctx.addIssue({ code: 'custom', path: ['removesIngredientId'], message: 'form.optionRemovesOnlyWithout' });
      if (o.kind === 'extra' && !o.ingredients.length) ctx.addIssue({ code: 'custom', path: ['ingredients'], message: 'form.optionExtra' });
    }
    const ids = o.ingredients.map((i) => i.ingredientId);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['ingredients'], message: 'form.twice' });
  });
export type OptionRequest = z.output<typeof optionSchema>;

const ingredientFields = z.strictObject({
  name: label(80),
  nameEn: optionalLabel(80),
  unit: z.enum(['g', 'ml', 'piece'], 'form.choose'),
  allergens: z.array(z.enum(EU_ALLERGENS, 'form.choose')).max(14).default([]),
  // the cereal or the tree nut, named (annex II): only a known kind, and only on an ingredient of its group
  allergenKinds: z.array(z.enum(ALL_ALLERGEN_KINDS as [AllergenKind, ...AllergenKind[]], 'form.allergenKind')).max(14).default([]),
});
const kindsOfItsGroup = (i: { allergens: string[]; allergenKinds: string[] }, ctx: z.RefinementCtx) => {
  if (kindsProblem(i.allergens, i.allergenKinds)) ctx.addIssue({ code: 'custom', path: ['allergenKinds'], message: 'form.allergenKindGroup' });
};
export const ingredientSchema = ingredientFields.superRefine(kindsOfItsGroup);
export type IngredientRequest = z.output<typeof ingredientSchema>;
export const ingredientCreateSchema = ingredientFields.extend({
  slug,
}).superRefine(kindsOfItsGroup);
