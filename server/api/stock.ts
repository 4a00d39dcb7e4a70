// A shop's stock: its managers and head office keep it (deliveries, counts, low thresholds, the
// movements behind each level); its kitchen may read it.
import type { Request } from 'express';
import { countSchema, deliverySchema, movementsQuery, thresholdSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { forbidden } from '../../src/lib/server/kernel/errors.ts';
import { countStock, mayKeepStock, receiveDelivery, setLowThreshold, stockMovements, stockOfShop } from '../../src/lib/server/stock/stock.ts';
import { Routes, created, numericId, visitorLocale, type ApiContext } from './kit.ts';
import { can, mayFor } from '../../src/lib/domain/permissions.ts';

export function stockRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const keepers = api.staff(can.runShop);
  const shop = (req: Request) => numericId(req);

  api.staff(can.cook).get('/shops/:id/stock', {}, ({ req, user }) => {
    const id = shop(req);
    if (!mayFor(user, can.cook, id)) throw forbidden('not your shop');
    return stockOfShop(db, id, visitorLocale(req));
  });
  keepers.get('/shops/:id/stock/movements', { query: movementsQuery }, ({ req, actor, query }) => {
    const id = shop(req);
    if (!mayKeepStock(actor, id)) throw forbidden('not your shop');
    return stockMovements(db, id, query, visitorLocale(req));
  });
  keepers.post('/shops/:id/stock/deliveries', { body: deliverySchema }, async ({ req, actor, body }) => created(await receiveDelivery(db, actor, shop(req), body)));
  keepers.post('/shops/:id/stock/counts', { body: countSchema }, async ({ req, actor, body }) => created(await countStock(db, actor, shop(req), body)));
  keepers.post('/shops/:id/stock/thresholds', { body: thresholdSchema }, ({ req, actor, body }) => setLowThreshold(db, actor, shop(req), body));

  return api.router;
}
