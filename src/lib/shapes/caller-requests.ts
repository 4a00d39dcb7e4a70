// What the counter may ask of a caller (GET /api/counter/callers): a whole phone number, however typed.
import { z } from 'zod';
import { noControl } from './order-requests.ts';

export const callerQuery = z.strictObject({
  phone: z.string().trim().max(30, 'at most 30 characters').refine(noControl, 'no control characters')
    .regex(/^\+?[0-9 .()-]{6,25}$/, 'a phone number, e.g. 06 12 34 56 78'),
});
