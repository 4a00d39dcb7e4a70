// What the counter and the back office send about titres-restaurant (server/api/meal-vouchers.ts).
import { z } from 'zod';
import { MEAL_VOUCHER_ISSUERS, ONLINE_MEAL_VOUCHER_ISSUERS } from '../domain/meal-vouchers.ts';

/** A voucher part declared at the counter: its issuer, its amount, and the card's reference (its number, or the voucher's). */
export const voucherDeclarationSchema = z.strictObject({
  issuer: z.enum(MEAL_VOUCHER_ISSUERS),
  amountCents: z.number().int().min(1, 'at least 1 cent').max(100_000),
  reference: z.string().trim().min(4, "the card's number or the voucher's reference, at least 4 characters").max(64).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes'),
});

/** What a voucher may pay of an order, for the card named (its daily amount so far). */
export const voucherAllowanceQuery = z.strictObject({
  reference: z.string().trim().min(4).max(64).regex(/^[A-Za-z0-9 -]+$/).optional(),
});

/** Whether a shop accepts titres-restaurant on Sundays and public holidays. */
export const voucherDaysSchema = z.strictObject({ onClosedDays: z.boolean() });

/** The customer's titre-restaurant part of an online order, on its payment page: an issuer Stripe takes, and the amount. */
export const onlineVoucherSchema = z.strictObject({
  issuer: z.enum(ONLINE_MEAL_VOUCHER_ISSUERS),
  amountCents: z.number().int().min(1, 'at least 1 cent').max(100_000),
});
