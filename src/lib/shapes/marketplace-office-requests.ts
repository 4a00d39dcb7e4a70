// What the back office's platform pages and their API routes accept (server/api/marketplace-admin.ts,
// src/routes/manager/marketplaces/): a shop's store on a platform, a product's price there, a name
// the platform gave mapped to our menu, a waiting order denied with a reason, a week to reconcile.
import { z } from 'zod';
import { isWeekStart } from '../domain/marketplace-reconcile.ts';

const pct = z.coerce.number().min(0, 'between 0 and 100').max(100, 'between 0 and 100').multipleOf(0.01, 'at most two decimals');
const id = z.coerce.number().int().positive().max(2_147_483_647);

/** A platform's id as the registry names it. */
export const platformId = z.string().regex(/^[a-z_]{1,40}$/, 'not a platform');

export const storeSchema = z.strictObject({
  storeId: z.string().trim().min(1, 'the store id the platform gave').max(100, 'at most 100 characters'),
  enabled: z.boolean().default(true),
  autoAccept: z.boolean().default(true),
  markupPct: pct.default(0),
  commissionPct: pct.default(30),
});
export type StoreRequest = z.infer<typeof storeSchema>;

/** A product's own price on a platform, in cents; null: back to ours plus the store's markup. */
export const priceSchema = z.strictObject({
  productId: id,
  priceCents: z.number().int().min(1, 'at least 0.01').max(100_000, 'at most 1000.00').nullable(),
});

/** What a name the platform gave stands for in our menu: a product or an option, one of the two. */
export const mappingSchema = z
  // pizzeriaId: the shop the mapping is for (a manager's own by default); head office leaves it out for every shop
  .strictObject({ externalId: z.string().min(1).max(200), productId: id.nullable().default(null), optionId: id.nullable().default(null), pizzeriaId: id.nullable().optional() })
  .refine((m) => (m.productId === null) !== (m.optionId === null), { message: 'a product or an option', path: ['productId'] });

export const DENY_REASONS = ['store_closed', 'store_busy', 'item_unavailable', 'other'] as const;
export const denySchema = z.strictObject({
  reason: z.enum(DENY_REASONS),
  explanation: z.string().trim().max(300, 'at most 300 characters').default(''),
});

/** A week by its Monday (YYYY-MM-DD). */
export const weekSchema = z.string().refine(isWeekStart, 'a Monday, as YYYY-MM-DD');
export const reconcileQuery = z.strictObject({ platform: platformId, week: weekSchema });
