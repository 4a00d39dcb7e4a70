// Dispatch: the driver's answer to an offer, a manager's hand, head office lending a driver.
import { assignSchema, lendSchema, offerAnswerSchema } from '../../src/lib/shapes/order-requests.ts';
import { answerOffer, assignByHand, lendDriver } from '../../src/lib/server/delivery/dispatch.ts';
import { Routes, numericId, orderId, orderResponse, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function dispatchRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);

  api.staff(can.drive).post('/orders/:id/offer', { body: offerAnswerSchema }, async ({ req, user, actor, body }) => {
    const { order } = await answerOffer(db, actor, orderId(req), body);
    return orderResponse(order, user);
  });
  api.staff(can.runShop).post('/orders/:id/assign', { body: assignSchema }, async ({ req, user, actor, body }) => {
    const { order } = await assignByHand(db, actor, orderId(req), body);
    return orderResponse(order, user);
  });
  api.staff(can.runChain).post('/drivers/:id/lend', { body: lendSchema }, ({ req, actor, body }) =>
    lendDriver(db, ctx.positions, actor, numericId(req), body.toShop),
  );

  return api.router;
}
