// What the kitchen's requests carry, one schema each, read by the API (server/api/kitchen.ts) and
// the back office's form alike.
import { z } from 'zod';
import { PRODUCT_KINDS } from '../domain/product-kinds.ts';
import type { Fulfilment } from '../domain/order-states.ts';
import type { Bump } from '../domain/recall.ts';

export const stationSchema = z.object({
  id: z.number().int().positive().optional(),
  name: z.string().trim().min(1, 'a name, 1 to 40 characters').max(40, 'a name, 1 to 40 characters'),
  isPass: z.boolean().default(false),
  kinds: z.array(z.enum(PRODUCT_KINDS)).max(PRODUCT_KINDS.length).default([]),
  categoryIds: z.array(z.number().int().positive()).max(100).default([]),
});
/** A shop's stations, set as a whole. */
export const stationsSchema = z.object({ stations: z.array(stationSchema).max(12) });
export type StationsRequest = z.infer<typeof stationsSchema>;

/** An order marked urgent (true) or not any more (false). */
export const urgentSchema = z.object({ urgent: z.boolean() });

/** A ready order taken back to the oven, as the screen last saw it. */
export const recallSchema = z.object({ version: z.number().int().positive().optional() });

/** The shop's last bumps (GET /api/shops/:id/recent-bumps), newest first: what the kitchen can still take back, and until when. */
export interface RecentBump {
  orderId: string;
  number: number;
  /** The customer's first name, as the kitchen sees it. */
  name: string;
  fulfilment: Fulfilment;
  /** Where the order is now. */
  status: string;
  /** Its latest bump: out of the oven, handed over, or picked up by a driver; and when (ISO). */
  bump: Bump;
  bumpedAt: string;
  /** The order's version, to send with its recall. */
  version: number;
  /** Until when (ISO) POST /api/orders/:id/recall takes it back to the oven; null once it cannot. */
  undoableUntil: string | null;
  /** Why it cannot (the code and message the recall would answer); null while it can. */
  reason: { code: string; message: string } | null;
}
export interface RecentBumpsAnswer {
  bumps: RecentBump[];
  /** The server's clock (ISO) when it answered, to count down against. */
  now: string;
  /** How far back the list goes, in seconds. */
  sinceSeconds: number;
}

/** A shop's printer: a host name or IPv4 address (none: no printer) and its raw port (9100 by default). */
export const printerSchema = z.object({
  host: z.union([z.literal('').transform(() => null), z.string().trim().max(253).regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a host name or an IP address, e.g. 192.168.1.50'), z.null()]),
  port: z.coerce.number().int().min(1, '1 to 65535').max(65535, '1 to 65535').default(9100),
});
/** A copy of an order's label (for its box) or its whole ticket. */
export const printSchema = z.object({ kind: z.enum(['label', 'ticket', 'receipt']).default('label') });

/** A line crossed off as made (true) or un-crossed (false). */
export const crossOffSchema = z.object({ done: z.boolean() });
