// What the driver and the demo's payment page send about a QR code paid at the door (server/api/door-qr.ts).
import { z } from 'zod';

/** The demo's payment page: the customer pays, or their bank refuses. */
export const demoDoorPaySchema = z.strictObject({ outcome: z.enum(['paid', 'refused']) });

/** A provider's session id as the demo's page names it. */
export const SESSION_REF = /^cs_[A-Za-z0-9_]{1,200}$/;
