// The customer's tracking link: the order as it is (with the driver's position while they carry
// it), changed or cancelled until the kitchen starts it, and its receipt once paid.
import type { Request } from 'express';
import { modifySchema } from '../../src/lib/shapes/order-requests.ts';
import { AppError, conflict, notFound } from '../../src/lib/server/kernel/errors.ts';
import { cancelByToken, deliveryPin, getOrder, getOrderIdByToken, modifyByToken } from '../../src/lib/server/orders/index.ts';
import { receiptPdf } from '../../src/lib/server/money/receipts.ts';
import { cardTipsOfReceipt } from '../../src/lib/server/money/tips.ts';
import { issuedReceiptOf, receiptKey, requesterOf } from '../../src/lib/server/money/receipt-issues.ts';
import type { ReceiptForm } from '../../src/lib/domain/receipt-mentions.ts';
import { Routes, orderResponse, visitorLocale, type ApiContext } from './kit.ts';

export function trackingRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const token = (req: Request) => String(req.params.token);

  api.anyone.get('/track/:token', {}, async ({ req }) => {
    const id = await getOrderIdByToken(db, token(req));
    const order = id && (await getOrder(db, id));
    if (!order) throw notFound('order');
    // the driver's position only while they carry this order (never before pick-up, never after delivery)
    const carrying = order.status === 'out_for_delivery' && order.driver && ctx.positions;
    const driverAt = carrying ? await ctx.positions!.ofDriver(order.driver!.id).catch(() => null) : null;
    return {
      ...orderResponse(order),
      deliveryPin: await deliveryPin(db, order.id),
      driverPosition: driverAt && !driverAt.stale ? { driverId: driverAt.driverId, lat: driverAt.lat, lng: driverAt.lng, accuracy: driverAt.accuracy, at: new Date(driverAt.at).toISOString() } : null,
    };
  });
  api.anyone.post('/track/:token/cancel', { use: [ctx.customerLimiter] }, async ({ req }) => {
    const { order } = await cancelByToken(db, token(req), { announce: ctx.announce() });
    return orderResponse(order);
  });
  api.anyone.patch('/track/:token', { use: [ctx.customerLimiter], body: modifySchema }, async ({ req, body }) => {
    const { order } = await modifyByToken(db, token(req), body.items, body.version, ctx.orderLimits, { announce: ctx.announce() });
    return orderResponse(order);
  });

  // the receipt of a paid order, for the holder of its tracking link: as data, or as a PDF; a ticket
  // once its sale is in the fiscal journal, given out as a copy (the original, then duplicates counted there)
  const receiptFor = async (req: Request, form: ReceiptForm, user: { id: number; role: string } | null) => {
    const id = await getOrderIdByToken(db, token(req));
    if (!id) throw notFound('order');
    const found = await issuedReceiptOf(db, receiptKey(ctx.config), id, visitorLocale(req), { form, requestedBy: requesterOf(user) });
    if (!found) throw notFound('order');
    if (found.kind === 'ticket') return { id, receipt: found.receipt };
    // a training shop's: its FACTICE ticket (never a fiscal one)
    if (found.kind === 'summary' && found.why === 'training') return { id, receipt: found.receipt };
    if (found.why === 'nothing_charged') throw new AppError(404, 'nothing_charged', 'no receipt: the card was only held, and let go when the order was cancelled (nothing was charged)');
    throw conflict('not_paid', 'the receipt comes once the order is paid');
  };
  api.anyone.get('/track/:token/receipt', {}, async ({ req, user }) => (await receiptFor(req, 'page', user)).receipt);
  api.anyone.get('/track/:token/receipt.pdf', {}, async ({ req, res, user }) => {
    const { id, receipt } = await receiptFor(req, 'pdf', user);
    // the driver's tips paid by card, as the receipt page shows them (a training ticket has none)
    const pdf = await receiptPdf(receipt, visitorLocale(req), receipt.stamp ? await cardTipsOfReceipt(db, id) : undefined);
    res.setHeader('content-type', 'application/pdf');
    const copy = receipt.stamp?.copy ? `-duplicata-${receipt.stamp.copy}` : receipt.training ? '-factice' : '';
    res.setHeader('content-disposition', `inline; filename="ocpizza-${receipt.businessDay}-${receipt.number}${copy}.pdf"`);
    res.setHeader('cache-control', 'private, no-store');
    return () => res.end(pdf);
  });

  return api.router;
}
