// What the fiscal pages and their JSON API accept: a correction of how an order was paid, and the
// period and format of an e-reporting export. Messages are keys of the `form` messages (src/lib/i18n).
import { z } from 'zod';
import { CORRECTABLE_METHODS } from '../domain/fiscal-corrections.ts';
import { noControl } from './order-requests.ts';

/** A correction of how a part of an order's payment was taken, with its reason. */
export const paymentCorrectionSchema = z.strictObject({
  part: z.enum(['paid', 'handover'], 'form.choose'),
  to: z.enum(CORRECTABLE_METHODS, 'form.choose'),
  // signed into the fiscal journal as written: printable text only (no escape, bell or other control character)
  reason: z.string().trim().min(3, 'form.correctionReason').max(300, 'form.tooLong').refine(noControl, 'form.control'),
  // a manager of the shop confirming it, when the counter needs one (beyond its corrections of a shift)
  manager: z.strictObject({ email: z.string().trim().min(3).max(200), password: z.string().min(1).max(200) }).optional(),
});
export type PaymentCorrectionRequest = z.infer<typeof paymentCorrectionSchema>;

/** An export's period (Paris dates, both included) and format. */
export const ereportingQuery = z.strictObject({
  from: z.iso.date('form.date'),
  to: z.iso.date('form.date'),
  format: z.enum(['csv', 'json'], 'form.choose').optional(),
});
