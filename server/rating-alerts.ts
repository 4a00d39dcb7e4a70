// A low rating reaches the shop's managers and head office live: the rating's transaction notifies
// `rating_low` with the order's id (src/lib/server/customers/ratings.ts), and each hub reads it and tells its
// own sockets (like the order events: every hub hears Postgres, so nothing crosses hubs twice).
import type { Logger } from 'pino';
import { UUID } from '../src/lib/shapes/order-requests.ts';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { lowRatingOf } from '../src/lib/server/customers/ratings.ts';
import type { HubServer } from './hub-types.ts';

export async function tellLowRating(opts: { io: HubServer; db: Db; log: Logger }, orderId: string): Promise<void> {
  if (!UUID.test(orderId)) return;
  try {
    const rating = await lowRatingOf(opts.db, orderId);
    if (rating) opts.io.local.to([roomFor.shop(rating.pizzeriaId), roomFor.hq()]).emit('rating:low', rating);
  } catch (err) {
    opts.log.warn({ err, orderId }, 'low rating push failed');
  }
}
