// The money: drivers' shifts closed by the manager's count, and the day's takings, a shop's (its
// manager, head office) or every shop's with the chain's total (head office), as JSON or as a CSV
// file for a spreadsheet (src/lib/server/money/takings-csv.ts).
import type { Request, Response } from 'express';
import { cashCloseSchema, closeDaySchema, shiftsQuery, takingsQuery } from '../../src/lib/shapes/back-office-requests.ts';
import { closeShift, shiftsOfShop } from '../../src/lib/server/money/cash.ts';
import { takingsOfDay, todayInParis } from '../../src/lib/server/money/takings.ts';
import { onlineReconciliation } from '../../src/lib/server/money/online-reconciliation.ts';
import { onlineRecordsFor } from '../../src/lib/server/money/provider-choice.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { takingsCsv } from '../../src/lib/server/money/takings-csv.ts';
import { createI18n, type Locale } from '../../src/lib/i18n/index.ts';
import { Routes, numericId, visitorLocale, type ApiContext } from './kit.ts';
import { refundRoutes } from './refunds.ts';
import { can, mayFor } from '../../src/lib/domain/permissions.ts';
import { fiscalKeyOf } from '../../src/lib/server/fiscal/signing.ts';
import { closeDayOnDemand, fiscalOverview } from '../../src/lib/server/fiscal/closings.ts';
import { backOfficePlatforms } from '../../src/lib/server/marketplaces/stores.ts';
import type { Config } from '../../src/lib/server/kernel/config.ts';

type Day = Awaited<ReturnType<typeof takingsOfDay>>;

const csv = (config: Config, req: Request, day: Day, name: string, lang: Locale | undefined) => (res: Response) => {
  const locale = lang ?? visitorLocale(req);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="takings-${name}-${day.date}.csv"`);
  res.setHeader('cache-control', 'private, no-store');
  // a column group per delivery platform the chain knows, so days stack
  res.send(takingsCsv(day, locale, createI18n(locale).t, backOfficePlatforms(config)));
};

export function moneyRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);
  // the takings read the fiscal journal, brought up to date for an open day first (with the settings' key)
  const journal = { get key() { return fiscalKeyOf(ctx.config); } };

  managers.get('/shops/:id/shifts', { query: shiftsQuery }, ({ req, actor, query }) => shiftsOfShop(db, actor, numericId(req), query.day));
  managers.post('/shops/:id/shifts/:shiftId/close', { body: cashCloseSchema }, ({ req, actor, body }) =>
    closeShift(db, actor, numericId(req), numericId(req, 'shiftId'), body),
  );

  managers.get('/shops/:id/takings', { query: takingsQuery }, ({ req, actor, query }) => takingsOfDay(db, actor, numericId(req), query.date, journal));
  // the day's online takings (cards captured, titres-restaurant taken online) against the provider's records
  managers.get('/shops/:id/online-reconciliation', { query: takingsQuery }, async ({ req, actor, query }) => {
    const shopId = numericId(req);
    if (!mayFor(actor, can.runShop, shopId)) throw notFound('shop');
    const records = onlineRecordsFor(ctx.config);
    if (!records) throw new AppError(503, 'no_online_records', 'online payments are not taken through a provider here (the demo page keeps no records to compare)');
    const day = query.date ?? (await todayInParis(db));
    return { date: day, reconciliation: await onlineReconciliation(db, records, shopId, day) };
  });
  managers.get('/shops/:id/takings.csv', { query: takingsQuery }, async ({ req, actor, query }) => {
    const day = await takingsOfDay(db, actor, numericId(req), query.date, journal);
    return csv(ctx.config, req, day, day.shops[0].shop.slug, query.lang);
  });
  managers.get('/takings', { query: takingsQuery }, ({ actor, query }) => takingsOfDay(db, actor, 'all', query.date, journal));
  managers.get('/takings.csv', { query: takingsQuery }, async ({ req, actor, query }) => csv(ctx.config, req, await takingsOfDay(db, actor, 'all', query.date, journal), 'all', query.lang));

  // the shop's closings (clôtures), its open day's running figures; a day that is over closed on demand
  managers.get('/shops/:id/fiscal/closings', {}, ({ req, actor }) => fiscalOverview(db, actor, numericId(req), journal));
  managers.post('/shops/:id/fiscal/closings', { body: closeDaySchema }, ({ req, actor, body }) =>
    closeDayOnDemand(db, journal.key, actor, numericId(req), body.day, ctx.config.FISCAL_YEAR_START_MONTH),
  );

  // refunds by the managers (server/api/refunds.ts), shown in the takings of the order's day
  api.router.use(refundRoutes(ctx));

  return api.router;
}
