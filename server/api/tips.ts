// Tips for the drivers: the customer thanks the driver on the tracking page once the order is
// delivered (a payment of its own, made by the workers, paid on the payment page: Stripe's form or,
// in demo mode, the demo card form here); the driver declares the cash tips handed to them, per
// delivery; the driver's phone shows the day's tips. The checkout's tip rides on the order
// (placeOrderSchema's tipCents).
import express, { type Response } from 'express';
import { z } from 'zod';
import { TIP_MAX_CENTS } from '../../src/lib/domain/tip-split.ts';
import { can } from '../../src/lib/domain/permissions.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { getOrderIdByToken } from '../../src/lib/server/orders/index.ts';
import { demoTipEvent, parseDemoCard } from '../../src/lib/server/money/demo.ts';
import { storePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { askTipAfterDelivery, declareCashTip, driverTips, tipFormOf } from '../../src/lib/server/money/tip-payments.ts';
import { Answer, Routes, orderId, type ApiContext } from './kit.ts';

/** A tip's amount, in cents (tip-split.ts says the bounds of each way). */
export const tipSchema = z.strictObject({
  amountCents: z.number().int('a whole number of cents').min(1, 'a tip is more than nothing').max(TIP_MAX_CENTS, 'a tip is at most 100 €'),
});

/** Since when the driver's phone counts the tips it shows: the last 16 hours (an evening's shift, whatever midnight). */
const SHIFT_WINDOW_MS = 16 * 3_600_000;

export function tipRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const tracked = async (token: string) => {
    const id = await getOrderIdByToken(db, token);
    if (!id) throw notFound('order');
    return id;
  };

  api.anyone.post('/track/:token/tip', { use: [ctx.customerLimiter], body: tipSchema }, async ({ req, body }) => {
    const id = await tracked(String(req.params.token));
    const { tip, fresh } = await askTipAfterDelivery(db, id, body.amountCents);
    if (fresh || !tip.intentId) {
      await ctx.enqueueTipPayment?.(tip.tipId).catch((err) => ctx.log.error({ err, tipId: tip.tipId }, 'tip kept, its payment not queued: the reconciler will queue it'));
    }
    return new Answer(202, { amountCents: tip.amountCents, status: tip.status, pay: `/track/${encodeURIComponent(String(req.params.token))}/pay?tip` });
  });
  api.anyone.get('/track/:token/tip', {}, async ({ req }) => {
    const tip = await tipFormOf(db, await tracked(String(req.params.token)));
    return tip ? { amountCents: tip.amountCents, status: tip.status } : null;
  });

  const driver = api.staff(can.drive);
  driver.get('/driver/tips', {}, ({ user }) => driverTips(db, user.id, new Date(Date.now() - SHIFT_WINDOW_MS)));
  driver.post('/driver/orders/:id/cash-tip', { body: tipSchema }, ({ req, user, body }) => declareCashTip(db, user.id, orderId(req), body.amountCents));

  demoTipRoute(ctx, api, tracked);
  return api.router;
}

/** The demo card form of a tip (no Stripe keys): the card becomes the event Stripe would send, received like Stripe's. */
function demoTipRoute(ctx: ApiContext, api: Routes, tracked: (token: string) => Promise<string>) {
  const secret = ctx.config.paymentWebhookSecret;
  const webhook = ctx.paymentWebhook;
  if (ctx.config.paymentMode !== 'demo' || !secret || !webhook || !ctx.enqueuePaymentEvent) return;
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  api.anyone.post('/track/:token/demo-tip', { use: [ctx.customerLimiter, form] }, async ({ req }) => {
    const token = String(req.params.token);
    const asForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
    const back = (to: string) => (res: Response) => res.redirect(303, `/track/${encodeURIComponent(token)}${to}`);
    const tip = await tipFormOf(ctx.db, await tracked(token));
    if (!tip) throw notFound('tip');
    let signed;
    try {
      signed = demoTipEvent(tip, parseDemoCard(req.body ?? {}), secret);
    } catch (err) {
      if (!asForm || !(err instanceof AppError)) throw err;
      const field = Object.keys(err.details.fields ?? {})[0];
      return back(`/pay?tip&error=${encodeURIComponent(field ? `card.${field}` : err.code)}`);
    }
    // the same road as the provider's own webhook: read, kept once, handed to the workers
    const event = webhook.read(signed.payload, { 'stripe-signature': signed.signature });
    const { toProcess } = await storePaymentEvent(ctx.db, event);
    if (toProcess) await ctx.enqueuePaymentEvent!(event.id).catch((err) => ctx.log.error({ err, eventId: event.id }, 'payment event kept, not queued'));
    if (asForm) return back(signed.refused ? '/pay?tip&error=refused' : '');
    return new Answer(202, { accepted: !signed.refused, refused: signed.refused });
  });
}
