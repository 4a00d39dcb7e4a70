// What head office sends to make a promo code, and what the storefront sends to check one against
// a basket before placing: read by the API (server/api/promos.ts) and the back-office page alike.
import { z } from 'zod';
import { PROMO_KINDS } from '../domain/promo.ts';
import { id, placeOrderSchema } from './order-requests.ts';

export const promoCode = z.string().trim().regex(/^[A-Za-z0-9_-]{3,30}$/, '3 to 30 letters, digits, "-" or "_"');
const cents = z.number().int().min(0).max(1_000_000);
const when = z.iso.datetime({ offset: true, message: 'a date and time, e.g. 2026-12-01T00:00:00+01:00' }).nullable().optional();

export const newPromoSchema = z
  .strictObject({
    code: promoCode,
    kind: z.enum(PROMO_KINDS, 'percent, amount or free_product'),
    /** percent: 1 to 100; amount: cents off; free_product: 0 (the product's price is off). */
    value: z.number().int().min(0).max(1_000_000).default(0),
    productId: id.nullable().optional(),
    minBasketCents: cents.default(0),
    startsAt: when,
    endsAt: when,
    /** The shops it works at (none or null: every shop). */
    pizzeriaIds: z.array(id).max(100).nullable().optional(),
    maxUses: z.number().int().min(1).max(1_000_000).nullable().optional(),
    maxUsesPerCustomer: z.number().int().min(1).max(1000).nullable().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.kind === 'percent' && (p.value < 1 || p.value > 100)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a percent from 1 to 100' });
    if (p.kind === 'amount' && p.value < 1) ctx.addIssue({ code: 'custom', path: ['value'], message: 'an amount in cents, at least 1' });
    if (p.kind === 'free_product' && !p.productId) ctx.addIssue({ code: 'custom', path: ['productId'], message: 'the product offered' });
    if (p.startsAt && p.endsAt && Date.parse(p.endsAt) <= Date.parse(p.startsAt)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'after the start' });
  });
export type NewPromoRequest = z.output<typeof newPromoSchema>;

export const promoActiveSchema = z.strictObject({ active: z.boolean() });

/**
 * A code checked against a basket: the shop, how it is fulfilled, the lines. A phone or email is
 * still accepted from pages loaded before, and ignored: the answer is the same for any contact.
 */
export const promoCheckSchema = placeOrderSchema.pick({ pizzeriaId: true, fulfilment: true, items: true }).extend({
  code: promoCode,
  phone: z.string().trim().regex(/^\+?[0-9 .()-]{6,20}$/, 'a phone number, e.g. 06 12 34 56 78').optional(),
  email: z.email().max(120).optional(),
}).strict();

/** The loyalty scheme head office states: points per order from an amount paid, and the points a free pizza (up to a price) costs. */
export const loyaltySchemeSchema = z.strictObject({
  active: z.boolean(),
  pointsPerOrder: z.number().int().min(1).max(1000),
  fromCents: cents,
  rewardPoints: z.number().int().min(1).max(100_000),
  rewardMaxCents: z.number().int().min(1).max(1_000_000),
});
