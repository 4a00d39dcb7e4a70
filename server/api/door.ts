// At the door: delivered with its proof, a photo for the proof, a failed delivery, and the
// manager's decision to send it out again.
import express from 'express';
import { deliverSchema, failedSchema, versionSchema } from '../../src/lib/shapes/order-requests.ts';
import { MAX_PHOTO_BYTES, deliverOrder, failDelivery, getPhoto, redeliver, savePhoto } from '../../src/lib/server/delivery/delivery.ts';
import { Routes, created, orderId, orderResponse, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';
import { closeOpenDoorQr } from '../../src/lib/server/money/door-qr.ts';

export function doorRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const onTheRoad = api.staff(can.deliver);

  onTheRoad.post('/orders/:id/deliver', { body: deliverSchema }, async ({ req, user, actor, body }) => {
    const id = orderId(req);
    const { order } = await deliverOrder(db, actor, id, await handoverOf(id, body));
    return orderResponse(order, user);
  });
  onTheRoad.post('/orders/:id/failed', { body: failedSchema }, async ({ req, user, actor, body }) => {
    // the code shown at the door closes with the delivery (the customer can no longer pay it)
    await closeOpenDoorQr(db, ctx.doorQr, orderId(req), 'the delivery failed');
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

  /**
   * A handover as it is recorded, next to a QR code paid at the door (money/door-qr.ts): money taken
   * another way closes the open code first (paid by the customer already: 409, the order shows it
   * paid in a moment); once the code is paid, nothing more is collected (a tap queued before it says
   * cash for a sum no longer owed).
   */
  async function handoverOf<T extends { collected?: unknown }>(id: string, body: T): Promise<T> {
    if (!body.collected) return body;
    await closeOpenDoorQr(db, ctx.doorQr, id, 'taken another way at the door');
    const { rows } = await db.query<{ collected_method: string | null }>('SELECT collected_method FROM orders WHERE id = $1', [id]);
    return rows[0]?.collected_method === 'qr' ? { ...body, collected: undefined } : body;
  }

  return api.router;
}
