// What the back office and the counter send about the shop's card terminal (server/api/terminal.ts).
import { z } from 'zod';

/** A reader registered by the code it shows, with a name the counter knows it by. */
export const readerRegistrationSchema = z.strictObject({
  code: z.string().trim().min(3, 'the code the reader shows').max(100),
  label: z.string().trim().min(1, 'a name for the reader, e.g. "Comptoir"').max(60),
});

/** The demo's simulated reader: the card presented is approved, or declined (Stripe's 4000 0000 0000 0002). */
export const demoCardSchema = z.strictObject({ outcome: z.enum(['approved', 'declined']) });

/** Sends what the order owes to a reader of its shop (the first one when none is named). */
export const terminalPaymentSchema = z.strictObject({
  readerId: z.number().int().positive().optional(),
});
