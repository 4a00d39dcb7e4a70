// Orders: placed (by a customer online, by staff at the counter or on the phone), listed and read by
// staff, and moved along their states by the kitchen, the counter and the managers.
import { listSchema, placeOrderSchema, statusSchema, type PlacedOrderAnswer } from '../../src/lib/shapes/order-requests.ts';
import { conflict, invalid, forbidden, notFound, unauthorized } from '../../src/lib/server/kernel/errors.ts';
import { advanceOrder, canActOnShop, fireOrder, getOrder, listOrders } from '../../src/lib/server/orders/index.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { Answer, Routes, orderId, orderResponse, placeOptions, staffActor, type ApiContext } from './kit.ts';
import { can, may, runsChain } from '../../src/lib/domain/permissions.ts';

export function orderRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);

  api.anyone.post('/orders', { use: [ctx.customerLimiter], body: placeOrderSchema }, async ({ req, res, user, body }) => {
    if (body.payment === 'online' && config.paymentMode === 'off') {
      throw invalid({ payment: 'online payment is not offered: pay on delivery or at the counter' }, 'online payment is not offered');
    }
    const options = placeOptions(ctx, req);
    if (body.channel !== 'online' && !user) throw unauthorized();
    const actor = body.channel === 'online' || !user ? { kind: 'customer' as const } : staffActor(user);
    const placed = await placeOrder(db, { ...body, address: body.address ?? null }, actor, {
      ...options,
      // a signed-in customer's online order joins their account (staff taking a call place it as the caller's guest order)
      customerId: body.channel === 'online' ? req.customer?.id : undefined,
    });
    // a replay answers 200 with the order the key first placed, as it is now
    if (placed.replayed) res.setHeader('idempotent-replayed', 'true');
    const { order } = placed;
    const answer: PlacedOrderAnswer = { id: order.id, number: order.number, status: order.status, total: order.totalCents, trackingToken: placed.trackingToken, version: order.version };
    return new Answer(placed.replayed ? 200 : 201, answer);
  });

  api.staff().get('/orders', { query: listSchema }, async ({ user, actor, query: q }) => {
    let shops: number[] | 'all';
    if (q.pizzeriaId) {
      if (!canActOnShop(actor, q.pizzeriaId)) throw forbidden('not your shop');
      shops = [q.pizzeriaId];
    } else shops = runsChain(user) ? 'all' : [user.pizzeriaId!];
    const orders = await listOrders(db, {
      pizzeriaIds: shops,
      statuses: q.status ? [q.status] : undefined,
      driverId: may(user.role, can.drive) ? user.id : undefined,
    });
    return orders.map((o) => orderResponse(o, user));
  });

  api.staff().get('/orders/:id', {}, async ({ req, user, actor }) => {
    const order = await getOrder(db, orderId(req));
    if (!order || !canActOnShop(actor, order.pizzeriaId)) throw notFound('order');
    if (may(user.role, can.drive) && order.driver?.id !== user.id && order.offer?.driverId !== user.id) throw notFound('order');
    return orderResponse(order, user);
  });

  api.staff().post('/orders/:id/status', { body: statusSchema }, async ({ req, user, actor, body }) => {
    const id = orderId(req);
    const { order } = await advanceOrder(db, actor, id, body.to, body.version, {
      paymentMethod: body.paymentMethod,
      announce: ctx.announce(),
      seen: ctx.seenOrder(id),
    });
    return orderResponse(order, user);
  });

  // an order for later into the make line now, not at its fire time (a quiet oven, a customer early)
  api.staff(can.runShop).post('/orders/:id/fire', {}, async ({ req, user, actor }) => {
    const fired = await fireOrder(db, actor, orderId(req), { announce: ctx.announce() });
    if (!fired) throw conflict('already_fired', 'this order is in the make line already');
    return orderResponse(fired.order, user);
  });

  return api.router;
}
