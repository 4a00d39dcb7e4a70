// Titres-restaurant: what a voucher may pay of an order, a voucher part declared at the counter, and
// a shop's Sundays and public holidays (src/lib/server/money/meal-vouchers.ts); online, the customer's
// voucher part on the payment page, for the holder of the tracking link (meal-vouchers-online.ts).
import { can } from '../../src/lib/domain/permissions.ts';
import { declareMealVoucher, setVouchersOnClosedDays, voucherAllowance } from '../../src/lib/server/money/meal-vouchers.ts';
import { chooseOnlineVoucher, dropOnlineVoucher, onlineVoucherForm } from '../../src/lib/server/money/meal-vouchers-online.ts';
import { notFound } from '../../src/lib/server/kernel/errors.ts';
import { getOrderIdByToken } from '../../src/lib/server/orders/index.ts';
import { onlineVoucherSchema, voucherAllowanceQuery, voucherDaysSchema, voucherDeclarationSchema } from '../../src/lib/shapes/meal-voucher-requests.ts';
import { Answer, Routes, numericId, orderId, orderResponse, type ApiContext } from './kit.ts';

export function mealVoucherRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const counter = api.staff(can.takeOrders);
  const managers = api.staff(can.runShop);
  const settings = () => ({ dailyLimitCents: ctx.config.MEAL_VOUCHER_DAILY_LIMIT_CENTS });

  counter.get('/orders/:id/meal-voucher', { query: voucherAllowanceQuery }, ({ req, actor, query }) =>
    voucherAllowance(db, settings(), actor, orderId(req), query.reference ?? null),
  );
  counter.post('/orders/:id/meal-voucher', { body: voucherDeclarationSchema }, async ({ req, user, actor, body }) =>
    new Answer(201, orderResponse(await declareMealVoucher(db, settings(), actor, orderId(req), body), user)),
  );
  managers.put('/shops/:id/meal-vouchers', { body: voucherDaysSchema }, ({ req, actor, body }) =>
    setVouchersOnClosedDays(db, actor, numericId(req), body.onClosedDays),
  );

  // online, the holder of the tracking link: what a voucher may pay, the part chosen, or dropped
  const byToken = async (token: unknown) => (await getOrderIdByToken(db, String(token))) ?? Promise.reject(notFound('order'));
  api.anyone.get('/track/:token/meal-voucher', {}, async ({ req }) => onlineVoucherForm(db, settings(), await byToken(req.params.token)));
  api.anyone.post('/track/:token/meal-voucher', { use: [ctx.customerLimiter], body: onlineVoucherSchema }, async ({ req, body }) => {
    const id = await byToken(req.params.token);
    await chooseOnlineVoucher(db, settings(), id, body);
    return new Answer(201, await onlineVoucherForm(db, settings(), id));
  });
  api.anyone.delete('/track/:token/meal-voucher', { use: [ctx.customerLimiter] }, async ({ req }) => {
    const id = await byToken(req.params.token);
    await dropOnlineVoucher(db, id);
    return onlineVoucherForm(db, settings(), id);
  });
  return api.router;
}
