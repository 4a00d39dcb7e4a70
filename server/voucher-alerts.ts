// A titre-restaurant held online that its issuer refused when the kitchen started reaches the shop's
// managers and head office live: the refusal's transaction notifies `voucher_refused` with the
// order's id (src/lib/server/money/meal-vouchers-online.ts), and each hub reads it and tells its own
// sockets (like the low ratings: every hub hears Postgres, so nothing crosses hubs twice).
import type { Logger } from 'pino';
import { UUID } from '../src/lib/shapes/order-requests.ts';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { refusedVoucherCaptures } from '../src/lib/server/money/meal-vouchers-online.ts';
import type { HubServer } from './hub-types.ts';

export async function tellVoucherRefused(opts: { io: HubServer; db: Db; log: Logger }, orderId: string): Promise<void> {
  if (!UUID.test(orderId)) return;
  try {
    for (const refused of await refusedVoucherCaptures(opts.db, { order: orderId })) {
      opts.io.local.to([roomFor.shop(refused.pizzeriaId), roomFor.hq()]).emit('voucher:refused', refused);
    }
  } catch (err) {
    opts.log.warn({ err, orderId }, 'refused titre-restaurant push failed');
  }
}
