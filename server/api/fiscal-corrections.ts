// Corrections users make, and the e-reporting export, through the JSON API: the same services as
// the pages (src/lib/server/fiscal/corrections.ts, exports.ts). A correction is a new entry of the
// shop's fiscal chain with its reason; an export is a JET `export` event. And what a screen says of
// a spell offline during which it queued taps: a JET `offline_period` (fiscal/till-events.ts).
import { ereportingQuery, offlinePeriodSchema, paymentCorrectionSchema } from '../../src/lib/shapes/fiscal-requests.ts';
import { paymentsToCorrect, signingKey } from '../../src/lib/server/fiscal/corrections.ts';
import { recordOfflinePeriod } from '../../src/lib/server/fiscal/till-events.ts';
import { correctPaymentAtCounter } from '../../src/lib/server/flows/payment-correction.ts';
import { exportVat } from '../../src/lib/server/fiscal/exports.ts';
import { invalid } from '../../src/lib/server/kernel/errors.ts';
import { Routes, numericId, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fiscalCorrectionRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);
  const counter = api.staff(can.takeOrders);
  const managers = api.staff(can.runShop);
  const staff = api.staff();

  // a screen back online tells its spell offline once (its id: the same report again writes nothing)
  staff.post('/till/offline-periods', { body: offlinePeriodSchema }, async ({ actor, body }) => {
    const entry = await recordOfflinePeriod(db, await signingKey(db), { role: actor.role, id: actor.id, pizzeriaId: actor.pizzeriaId }, { ...body, taps: body.taps as Record<string, number> });
    return { recorded: !!entry, seq: entry?.seq ?? null };
  });

  counter.get('/shops/:id/payments/corrections', {}, ({ req, actor }) => paymentsToCorrect(db, actor, numericId(req)));
  counter.post('/orders/:id/payment-corrections', { body: paymentCorrectionSchema }, async ({ req, actor, body }) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw invalid({ id: 'not an order id' });
    const { order, entry } = await correctPaymentAtCounter(db, actor, id, body, { perShift: config.COUNTER_CORRECTIONS_PER_SHIFT, maxFailures: config.RATE_LIMIT_LOGIN });
    return { order, entry: { chain: entry.chain, seq: entry.seq, kind: entry.kind, body: entry.body } };
  });

  managers.get('/shops/:id/ereporting', { query: ereportingQuery }, async ({ req, actor, query }) => {
    const file = await exportVat(db, actor, numericId(req), query.from, query.to, query.format ?? 'json');
    return (res: import('express').Response) => {
      res.setHeader('content-type', file.contentType);
      res.setHeader('content-disposition', `attachment; filename="${file.filename}"`);
      res.setHeader('cache-control', 'private, no-store');
      res.setHeader('x-export-sha256', file.sha256);
      res.setHeader('x-jet-entry', String(file.event.seq));
      res.send(file.content);
    };
  });

  return api.router;
}
