// At the door: delivered with its proof, a photo for the proof, a failed delivery, and the
// manager's decision to send it out again.
import express from 'express';
import { deliverSchema, failedSchema, versionSchema } from '../../src/lib/shapes/order-requests.ts';
import { MAX_PHOTO_BYTES, deliverOrder, failDelivery, getPhoto, redeliver, savePhoto } from '../../src/lib/server/delivery/delivery.ts';
import { Routes, created, orderId, orderResponse, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function doorRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const onTheRoad = api.staff(can.deliver);

  onTheRoad.post('/orders/:id/deliver', { body: deliverSchema }, async ({ req, user, actor, body }) => {
    const { order } = await deliverOrder(db, actor, orderId(req), body);
    return orderResponse(order, user);
  });
  onTheRoad.post('/orders/:id/failed', { body: failedSchema }, async ({ req, user, actor, body }) => {
    const { order } = await failDelivery(db, actor, orderId(req), body);
    return orderResponse(order, user);
  });
  api.staff(can.runShop).post('/orders/:id/redeliver', { body: versionSchema }, async ({ req, user, actor, body }) => {
    const { order } = await redeliver(db, actor, orderId(req), body.version);
    return orderResponse(order, user);
  });

  const photoBody = express.raw({ type: () => true, limit: MAX_PHOTO_BYTES });
  api.staff(can.drive).post('/orders/:id/photo', { use: [photoBody] }, async ({ req, actor }) => {
    await savePhoto(db, actor, orderId(req), Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    return created({ ok: true });
  });
  api.staff(can.runShop).get('/orders/:id/photo', {}, async ({ req, res, actor }) => {
    const photo = await getPhoto(db, actor, orderId(req));
    res.setHeader('cache-control', 'private, max-age=300');
    return () => res.type(photo.content_type).send(photo.bytes);
  });

  return api.router;
}
