// Payments coming in. The provider's webhook: the raw body, its signature checked by the provider's
// reader (Stripe's secret, or in demo mode the local one) and read into the system's notice; a good
// event is kept in Postgres, then handed to the workers under its id and answered (a bad signature:
// 400, nothing done). Once kept, a queue that loses the job loses nothing: the reconciler queues
// again every event not processed. The demo payment page's events take the same road.
import type { IncomingHttpHeaders } from 'node:http';
import express, { type Response } from 'express';
import { demoPaymentEvent, demoVoucherEvent, parseDemoCard } from '../../src/lib/server/money/demo.ts';
import { onlineVoucherForm } from '../../src/lib/server/money/meal-vouchers-online.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { getOrderIdByToken } from '../../src/lib/server/orders/index.ts';
import { paymentFormOf } from '../../src/lib/server/money/payment-form.ts';
import { processPaymentEvent, storePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { refundDueDoorQr } from '../../src/lib/server/money/door-qr.ts';
import { Answer, Routes, type ApiContext } from './kit.ts';

/** The webhook's road for a signed body (Stripe's, or the demo's): kept, then processed or handed to the workers. */
export function paymentEvents(ctx: ApiContext) {
  const webhook = ctx.paymentWebhook;
  const enqueue = ctx.enqueuePaymentEvent;
  if (!webhook || !enqueue) return null;
  return {
    path: webhook.path,
    async receive(body: Buffer | string, headers: IncomingHttpHeaders) {
      const event = webhook.read(body, headers);
      const { toProcess } = await storePaymentEvent(ctx.db, event);
      // the counter's card terminal and the driver at the door wait on it: processed here at once (the workers find it done)
      if (toProcess && (event.terminal || event.doorQr)) {
        try {
          await processPaymentEvent(ctx.db, event.id);
          // a door page paid when its order no longer owed it: given back now (kept as refund_due if this fails)
          if (event.doorQr && ctx.doorQr && event.paymentId) {
            await refundDueDoorQr(ctx.db, (r) => ctx.doorQr!.refund(r), event.paymentId).catch((err) => ctx.log.error({ err, eventId: event.id }, 'door payment to give back not refunded yet'));
          }
          return event;
        } catch (err) {
          ctx.log.error({ err, eventId: event.id }, 'terminal payment event kept, not processed: handed to the workers');
        }
      }
      if (toProcess) {
        await enqueue(event.id).catch((err) => ctx.log.error({ err, eventId: event.id }, 'payment event kept, not queued: the reconciler will queue it'));
      }
      return event;
    },
  };
}

/** The provider's webhook (mounted before the API's JSON parser: its signature is over the raw bytes). */
export function paymentWebhook(ctx: ApiContext) {
  const api = new Routes(ctx);
  const events = paymentEvents(ctx);
  if (events) {
    api.anyone.post(`/payments/${events.path}/webhook`, { use: [express.raw({ type: () => true, limit: '256kb' })] }, async ({ req }) => {
      await events.receive(req.body, req.headers);
      return { received: true };
    });
  }
  return api.router;
}

/**
 * The demo payment page (no Stripe keys): the customer's test card becomes the event Stripe would
 * send, signed here and received like Stripe's. A plain form post (no script) is answered with a
 * redirect: to the tracking page, or back to the form with what to correct.
 */
export function paymentRoutes(ctx: ApiContext) {
  const api = new Routes(ctx);
  const events = paymentEvents(ctx);
  const secret = ctx.config.paymentWebhookSecret;
  if (ctx.config.paymentMode !== 'demo' || !secret) return api.router;
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  api.anyone.post('/track/:token/demo-pay', { use: [ctx.customerLimiter, form] }, async ({ req }) => {
    if (!events) throw new AppError(404, 'not_found', 'payments are not taken online here');
    const token = String(req.params.token);
    const asForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
    const back = (to: string) => (res: Response) => res.redirect(303, `/track/${encodeURIComponent(token)}${to}`);
    const id = await getOrderIdByToken(ctx.db, token);
    const payment = id && (await paymentFormOf(ctx.db, id, ctx.config.PAYMENT_EXPIRY_MINUTES));
    if (!payment) throw notFound('order');
    let signed;
    try {
      signed = demoPaymentEvent(payment, parseDemoCard(req.body ?? {}), secret);
    } catch (err) {
      if (!asForm || !(err instanceof AppError)) throw err;
      const field = Object.keys(err.details.fields ?? {})[0];
      return back(`/pay?error=${encodeURIComponent(field ? `card.${field}` : err.code)}`);
    }
    await events.receive(signed.payload, { 'stripe-signature': signed.signature });
    if (asForm) return back(signed.refused ? '/pay?error=refused' : '');
    return new Answer(202, { accepted: !signed.refused, refused: signed.refused });
  });
  // a titre-restaurant's part on the demo page (meal-vouchers-online.ts): its card, as Stripe's event for it
  api.anyone.post('/track/:token/demo-voucher-pay', { use: [ctx.customerLimiter] }, async ({ req }) => {
    if (!events) throw new AppError(404, 'not_found', 'payments are not taken online here');
    const id = await getOrderIdByToken(ctx.db, String(req.params.token));
    const payment = id && (await paymentFormOf(ctx.db, id, ctx.config.PAYMENT_EXPIRY_MINUTES));
    if (!id || !payment) throw notFound('order');
    const { part } = await onlineVoucherForm(ctx.db, { dailyLimitCents: ctx.config.MEAL_VOUCHER_DAILY_LIMIT_CENTS }, id);
    const signed = demoVoucherEvent(part && { orderId: id, attempt: payment.attempt, intentId: part.intentId, cents: part.cents, state: part.state }, parseDemoCard(req.body ?? {}), secret);
    await events.receive(signed.payload, { 'stripe-signature': signed.signature });
    return new Answer(202, { accepted: !signed.refused, refused: signed.refused });
  });
  return api.router;
}
