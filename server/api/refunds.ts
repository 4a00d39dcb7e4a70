// Refunds by the managers: part or all of a paid order, with a reason, once per Idempotency-Key
// (src/lib/server/money/refund-request.ts). Cash given back is done at once (201); through the
// payment provider the refund is pending (202) until the workers have the provider's answer, which
// GET reads. A card tip is given back the same way (POST /orders/:id/tip-refund, 202 then the workers).
import { refundSchema, tipRefundSchema } from '../../src/lib/shapes/refund-requests.ts';
import { invalid } from '../../src/lib/server/kernel/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN, requestHash } from '../../src/lib/server/kernel/idempotency.ts';
import { refundableLines, refundsOfOrder } from '../../src/lib/server/money/refund-reads.ts';
import { requestRefund } from '../../src/lib/server/money/refund-request.ts';
import { CANNOT } from '../../src/lib/server/money/refund-parts.ts';
import { requestTipRefund, tipsOfOrder } from '../../src/lib/server/money/tip-refunds.ts';
import { Answer, Routes, orderId, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function refundRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);

  managers.get('/orders/:id/refunds', {}, async ({ req, actor }) => {
    const id = orderId(req);
    const state = await refundsOfOrder(db, actor, id);
    return { ...state, lines: await refundableLines(db, id) };
  });

  managers.post('/orders/:id/refunds', { body: refundSchema }, async ({ req, res, actor, body }) => {
    const key = req.get('idempotency-key');
    if (key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalid({ 'Idempotency-Key': 'required: 8 to 100 letters, digits, "-" or "_" (e.g. a UUID), the same for a retry of the same refund' });
    }
    const id = orderId(req);
    const made = await requestRefund(db, actor, id, body, { key, requestHash: requestHash({ actor: actor.id, order: id, body }) });
    if (made.repeated) res.setHeader('idempotent-replayed', 'true');
    // `refund` is the request's first row; an order paid in two ways may be refunded in two (`refunds`: the card's, the cash)
    // a titre-restaurant's part is not given back through the product: the answer says what happens to it
    const vouchers = (await refundsOfOrder(db, actor, id)).parts.filter((p) => p.why === 'meal_voucher').map((p) => ({ way: p.way, paidCents: p.paidCents, note: CANNOT.meal_voucher }));
    return new Answer(made.repeated ? 200 : made.refunds.some((r) => r.status === 'pending') ? 202 : 201, { refund: made.refund, refunds: made.refunds, ...(vouchers.length ? { vouchers } : {}) });
  });

  // a tip given back by a manager, whole and once, through the provider (src/lib/server/money/tip-refunds.ts)
  managers.get('/orders/:id/tips', {}, async ({ req, actor }) => tipsOfOrder(db, actor, orderId(req)));
  managers.post('/orders/:id/tip-refund', { body: tipRefundSchema }, async ({ req, res, actor, body }) => {
    const key = req.get('idempotency-key');
    if (key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalid({ 'Idempotency-Key': 'required: 8 to 100 letters, digits, "-" or "_" (e.g. a UUID), the same for a retry of the same refund' });
    }
    const made = await requestTipRefund(db, actor, orderId(req), body.tipId ?? null, key);
    if (made.repeated) res.setHeader('idempotent-replayed', 'true');
    return new Answer(made.repeated ? 200 : 202, { tip: made.tip });
  });

  return api.router;
}
