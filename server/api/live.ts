// What the managers' live page reads: the drivers (on shift or not, their load, where they are,
// stale after a minute), what needs them now, the evening in figures, and where a driver went with
// an order. A manager sees their shop's, head office one shop's or every shop's.
import type { Request } from 'express';
import { z } from 'zod';
import { UUID, idParam } from '../../src/lib/shapes/order-requests.ts';
import type { SessionUser } from '../../src/lib/server/staff/auth.ts';
import { alertsOfShops } from '../../src/lib/server/flows/alerts.ts';
import { listPizzerias } from '../../src/lib/server/shops/catalogue.ts';
import { driversOfShops } from '../../src/lib/server/road/drivers.ts';
import { forbidden, notFound } from '../../src/lib/server/kernel/errors.ts';
import { shopFigures } from '../../src/lib/server/flows/figures.ts';
import { canActOnShop, getOrder, type StaffActor } from '../../src/lib/server/orders/index.ts';
import { deliveryTrail } from '../../src/lib/server/road/positions.ts';
import { Routes, parse, type ApiContext } from './kit.ts';
import { can, runsChain } from '../../src/lib/domain/permissions.ts';

const shopQuery = z.strictObject({ pizzeriaId: idParam.optional() });

export function liveRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);

  // the shops asked for (?pizzeriaId=), else the caller's: their own shop, every shop for head office
  const shopsAsked = async (req: Request, user: SessionUser, actor: StaffActor) => {
    const shop = parse(shopQuery, req.query).pizzeriaId;
    if (shop) {
      if (!canActOnShop(actor, shop)) throw forbidden('not your shop');
      return [shop];
    }
    return runsChain(user) ? (await listPizzerias(db)).map((p) => p.id) : [user.pizzeriaId!];
  };

  managers.get('/drivers', {}, async ({ req, user, actor }) => driversOfShops(db, await shopsAsked(req, user, actor), ctx.positions, { mode: config.DELIVERY_MODE, eta: config.eta }));
  // what needs the manager now, most urgent first (src/lib/domain/alerts.ts)
  managers.get('/alerts', {}, async ({ req, user, actor }) =>
    alertsOfShops(db, await shopsAsked(req, user, actor), ctx.positions, config.DRIVER_POSITION_FRESH_SECONDS * 1000),
  );
  // the evening in figures per shop: done, average kitchen and road times, promises kept
  managers.get('/figures', {}, async ({ req, user, actor }) => shopFigures(db, await shopsAsked(req, user, actor)));

  // where the driver went with an order (sampled), for a customer's dispute
  managers.get('/orders/:id/trail', {}, async ({ req, actor }) => {
    const id = parse(z.string().regex(UUID, 'not an order id'), req.params.id);
    const order = await getOrder(db, id);
    if (!order || !canActOnShop(actor, order.pizzeriaId)) throw notFound('order');
    return deliveryTrail(db, id);
  });

  return api.router;
}
