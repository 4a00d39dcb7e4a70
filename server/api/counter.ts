// The counter's caller lookup: who is on the phone, by their number (src/lib/server/customers/callers.ts). Any
// counter staff, manager or head office may look up any caller of the chain: callers move between
// shops, and the counter takes orders for its own shop only (placing checks it). What another shop's
// orders say of where the caller lives is not shown, and every lookup is written to the audit log.
import { callerQuery } from '../../src/lib/shapes/caller-requests.ts';
import { callerKey, lookUpCaller } from '../../src/lib/server/customers/callers.ts';
import { invalid } from '../../src/lib/server/kernel/errors.ts';
import { Routes, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

/** Lookups per member of staff in 10 minutes: a busy counter takes a call a minute; more is someone reading the book. */
export const CALLER_LOOKUPS_PER_10_MIN = 200;

export function counterRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  // counted per member of staff (signed in: the route needs it), across every server (Redis)
  const lookups = ctx.limiter('callers', 10 * 60_000, CALLER_LOOKUPS_PER_10_MIN, {
    skip: (req) => !req.user,
    keyGenerator: (req) => `staff:${req.user!.id}`,
  });

  api.staff(can.takeOrders).get('/counter/callers', { use: [lookups], query: callerQuery }, async ({ actor, query }) => {
    const key = callerKey(query.phone);
    if (!key) throw invalid({ phone: 'a whole phone number, e.g. 06 12 34 56 78 or +33 6 12 34 56 78' });
    // a number the chain has never had an order from is a new caller, not an error
    return { caller: await lookUpCaller(db, actor, key) };
  });

  return api.router;
}
