// What a customer's account accepts: a code asked for an email or a phone, the code given back,
// their name, a favourite, an address forgotten, an order to place again.
import { z } from 'zod';
import { id, noControl } from './order-requests.ts';
import { EU_ALLERGENS } from '../domain/line-allergens.ts';

const email = z.email('an email address, e.g. camille@example.fr').max(120).transform((e) => e.toLowerCase());
const phone = z.string().trim().regex(/^\+?[0-9 .()-]{6,20}$/, 'a phone number, e.g. 06 12 34 56 78');

export const codeRequestSchema = z.union([
  z.strictObject({ email, lang: z.enum(['fr', 'en']).optional() }),
  z.strictObject({ phone, lang: z.enum(['fr', 'en']).optional() }),
], { error: 'an email or a phone number' });

export const signInSchema = z.union([
  z.strictObject({ email, code: z.string().regex(/^\d{6}$/, 'the 6 digits received') }),
  z.strictObject({ phone, code: z.string().regex(/^\d{6}$/, 'the 6 digits received') }),
], { error: 'the email or phone number, and the 6 digits received' });

export const profileSchema = z.strictObject({
  name: z.string().trim().min(1, 'required').max(80, 'at most 80 characters').refine(noControl, 'no control characters'),
});

export const favouriteSchema = z.strictObject({ productId: id, favourite: z.boolean() });

/** A guest order claimed from the account: its number, as in the messages about it and on its receipt. */
export const confirmOrderSchema = z.strictObject({
  number: z.number('the order number, as in its messages').int('the order number, as in its messages').min(1).max(1_000_000),
});

/** Their allergies kept on their account: among the 14, a few words, and their explicit consent (without it: 422 consent_required). */
export const allergiesSchema = z.strictObject({
  allergens: z.array(z.enum(EU_ALLERGENS, 'one of the 14 allergens')).max(14).default([]),
  note: z.string().trim().max(200, 'at most 200 characters').refine(noControl, 'no control characters').optional(),
  consent: z.boolean('whether you agree to OC Pizza keeping them'),
});

export type CodeRequest = z.output<typeof codeRequestSchema>;
export type SignInRequest = z.output<typeof signInSchema>;
