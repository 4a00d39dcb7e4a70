// What a manager sends to refund part or all of a paid order: an amount, or lines of the order
// (with how many of each), why, and how the money goes back. Read by the API (server/api/refunds.ts)
// and the manager's order page alike.
import { z } from 'zod';
import { REFUND_METHODS, REFUND_REASONS } from '../domain/refunds.ts';

const noControl = (s: string) => !/\p{Cc}/u.test(s);

export const refundSchema = z
  .strictObject({
    amountCents: z.number('an amount in cents').int('whole cents').positive('more than nothing').max(10_000_000, 'too large').optional(),
    lines: z
      .array(
        z.strictObject({
          itemId: z.number('a line of the order').int('a line of the order').positive('a line of the order'),
          quantity: z.number('how many').int('how many').positive('at least one').max(1000, 'too many'),
        }),
        'the lines to refund',
      )
      .min(1, 'at least one line')
      .max(100, 'at most 100 lines')
      .refine((ls) => new Set(ls.map((l) => l.itemId)).size === ls.length, 'each line once')
      .optional(),
    reason: z.enum(REFUND_REASONS, `one of: ${REFUND_REASONS.join(', ')}`),
    note: z
      .string('text')
      .trim()
      .max(500, 'at most 500 characters')
      .refine(noControl, 'no control characters')
      .transform((s) => s || null)
      .nullable()
      .optional(),
    method: z.enum(REFUND_METHODS, `one of: ${REFUND_METHODS.join(', ')}`).optional(),
  })
  .refine((r) => (r.amountCents === undefined) !== (r.lines === undefined), { message: 'an amount or lines, not both', path: ['amountCents'] });
export type RefundRequest = z.infer<typeof refundSchema>;

/** A manager gives back a tip of the order (whole): the one named, or the order's tip. */
export const tipRefundSchema = z.strictObject({
  tipId: z.string('a tip of the order').regex(/^[1-9][0-9]{0,17}$/, 'a tip of the order').optional(),
});
