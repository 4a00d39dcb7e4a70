// Ratings: the customer rates their order by its tracking link once it is handed over (the food,
// and the delivery of a delivery), and reads back what they gave; the managers read them per shop
// and per driver over a period (src/lib/server/customers/ratings.ts).
import type { Request } from 'express';
import { ratingSchema, ratingsQuery } from '../../src/lib/shapes/rating-requests.ts';
import { rateOrder, ratingByToken, ratingsReport } from '../../src/lib/server/customers/ratings.ts';
import { Routes, created, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function ratingRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const token = (req: Request) => String(req.params.token);

  api.anyone.get('/track/:token/rating', {}, async ({ req }) => ({ rating: await ratingByToken(db, token(req)) }));
  // counted with the tracking link's other writes (cancel, change): a client cannot hammer it
  api.anyone.post('/track/:token/rating', { use: [ctx.customerLimiter], body: ratingSchema }, async ({ req, body }) => {
    const { rating } = await rateOrder(db, token(req), body);
    return created({ rating });
  });

  api.staff(can.runShop).get('/ratings', { query: ratingsQuery }, ({ actor, query }) => ratingsReport(db, actor, query));

  return api.router;
}
