// Speed of service: a shop's day, stage by stage (received → started → ready → handed over), by
// hour, station and product, against its targets; as JSON or as a CSV file. A manager reads their
// shop, head office any (src/lib/server/kitchen/speed.ts).
import type { Response } from 'express';
import { takingsQuery } from '../../src/lib/shapes/back-office-requests.ts';
import { createI18n } from '../../src/lib/i18n/index.ts';
import { speedOfDay } from '../../src/lib/server/kitchen/speed.ts';
import { speedCsv } from '../../src/lib/server/kitchen/speed-csv.ts';
import { Routes, numericId, visitorLocale, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function speedRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);

  managers.get('/shops/:id/speed', { query: takingsQuery }, ({ req, actor, query }) => speedOfDay(db, actor, numericId(req), query.date));
  managers.get('/shops/:id/speed.csv', { query: takingsQuery }, async ({ req, actor, query }) => {
    const day = await speedOfDay(db, actor, numericId(req), query.date);
    const locale = query.lang ?? visitorLocale(req);
    return (res: Response) => {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="speed-of-service-${day.shop.id}-${day.date}.csv"`);
      res.setHeader('cache-control', 'private, no-store');
      res.send(speedCsv(day, locale, createI18n(locale).t));
    };
  });

  return api.router;
}
