// Drivers' pay (src/lib/server/staff/driver-pay.ts): the driver's own earnings tonight and this week; a
// shop's pay rule, read and set by its manager (head office any); and the shop's payroll for a
// period as JSON or as a CSV file (src/lib/server/staff/payroll-csv.ts).
import type { Response } from 'express';
import { createI18n } from '../../src/lib/i18n/index.ts';
import { payRuleSchema, payrollQuery } from '../../src/lib/shapes/pay-requests.ts';
import { myEarnings, payRulesOf, payroll, setPayRule } from '../../src/lib/server/staff/driver-pay.ts';
import { payrollCsv } from '../../src/lib/server/staff/payroll-csv.ts';
import { Routes, numericId, visitorLocale, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function driverPayRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const drivers = api.staff(can.drive);
  const payers = api.staff(can.payDrivers);

  drivers.get('/driver/earnings', {}, ({ actor }) => myEarnings(db, actor));

  payers.get('/shops/:id/pay-rules', {}, ({ req, actor }) => payRulesOf(db, actor, numericId(req)));
  payers.post('/shops/:id/pay-rules', { body: payRuleSchema }, ({ req, actor, body }) => setPayRule(db, actor, numericId(req), body));

  payers.get('/shops/:id/payroll', { query: payrollQuery }, ({ req, actor, query }) => payroll(db, actor, numericId(req), query.from, query.to));
  payers.get('/shops/:id/payroll.csv', { query: payrollQuery }, async ({ req, actor, query }) => {
    const p = await payroll(db, actor, numericId(req), query.from, query.to);
    const locale = query.lang ?? visitorLocale(req);
    return (res: Response) => {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="payroll-${p.shop.slug}-${p.from}-${p.to}.csv"`);
      res.setHeader('cache-control', 'private, no-store');
      res.send(payrollCsv(p, locale, createI18n(locale).t));
    };
  });

  return api.router;
}
