// The kitchen: a shop's stations (which tablet makes what; set by its managers, read by its
// kitchen) and crossing an order's lines off, one by one, as they are made.
import type { Request } from 'express';
import { crossOffSchema, printSchema, printerSchema, recallSchema, stationsSchema, urgentSchema } from '../../src/lib/shapes/kitchen-requests.ts';
import { AppError, conflict } from '../../src/lib/server/kernel/errors.ts';
import { policyOf } from '../../src/lib/server/printing/address.ts';
import { nextCopy, printerOf, receiptPrintsOf, setPrinter } from '../../src/lib/server/printing/index.ts';
import { getOrder } from '../../src/lib/server/orders/index.ts';
import { receiptOf } from '../../src/lib/server/money/receipts.ts';
import { recallOrder, recentBumps } from '../../src/lib/server/kitchen/recall.ts';
import { setUrgent } from '../../src/lib/server/orders/priority.ts';
import { forbidden, notFound } from '../../src/lib/server/kernel/errors.ts';
import { crossOffLine } from '../../src/lib/server/kitchen/lines.ts';
import { listStations, saveStations } from '../../src/lib/server/kitchen/stations.ts';
import { canActOnShop } from '../../src/lib/server/orders/index.ts';
import { idParam } from '../../src/lib/shapes/order-requests.ts';
import { Routes, accepted, numericId, orderId, orderResponse, parse, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';
import { readAllergy } from '../../src/lib/server/customers/allergy.ts';

export function kitchenRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  // where a printer may be: the shops' networks, printer ports (src/lib/server/printing/address.ts)
  const printers = policyOf(ctx.config);
  const shop = (req: Request, actor: Parameters<typeof canActOnShop>[0]) => {
    const id = numericId(req);
    if (!canActOnShop(actor, id)) throw forbidden('not your shop');
    return id;
  };

  api.staff(can.cook).get('/shops/:id/stations', {}, async ({ req, actor }) => ({ stations: await listStations(db, shop(req, actor)) }));
  api.staff(can.runShop).put('/shops/:id/stations', { body: stationsSchema }, async ({ req, actor, body }) => ({
    stations: await saveStations(db, shop(req, actor), body.stations),
  }));

  api.staff(can.cook).post('/orders/:id/lines/:line', { body: crossOffSchema }, async ({ req, user, actor, body }) => {
    const line = parse(idParam, req.params.line);
    const { order } = await crossOffLine(db, actor, orderId(req), line, body.done, { announce: ctx.announce() });
    return orderResponse(order, user);
  });

  // a "ready" bumped by mistake, back to the oven (src/lib/domain/recall.ts says when)
  api.staff(can.cook).post('/orders/:id/recall', { body: recallSchema }, async ({ req, user, actor, body }) => {
    const { order } = await recallOrder(db, actor, orderId(req), { windowMs: ctx.config.KITCHEN_UNDO_SECONDS * 1000, expectedVersion: body.version, announce: ctx.announce() });
    return orderResponse(order, user);
  });
  // the last bumped tickets, one tap away: each with until when it can go back, or why not
  api.staff(can.cook).get('/shops/:id/recent-bumps', {}, async ({ req, actor }) =>
    recentBumps(db, shop(req, actor), { windowMs: ctx.config.KITCHEN_UNDO_SECONDS * 1000 }),
  );

  // labels and paper: a shop's printer (its managers), a reprint of a label or the whole ticket (its kitchen)
  api.staff(can.runShop).put('/shops/:id/printer', { body: printerSchema }, async ({ req, actor, body }) => setPrinter(db, shop(req, actor), body, printers));
  api.staff(can.cook).post('/orders/:id/print', { body: printSchema }, async ({ req, actor, body }) => {
    const order = await getOrder(db, orderId(req));
    if (!order || !canActOnShop(actor, order.pizzeriaId)) throw notFound('order');
    if (!(await printerOf(db, order.pizzeriaId))) throw conflict('no_printer', "this shop has no printer: set one on the shop's page");
    if (!ctx.enqueuePrint) throw new AppError(503, 'unavailable', 'printing is not available on this server');
    const copy = await nextCopy(db, order.id, body.kind);
    if (copy > 20) throw conflict('too_many_copies', `${body.kind} of order ${order.number} printed 20 times already`);
    await ctx.enqueuePrint({ orderId: order.id, kind: body.kind, copy });
    return accepted({ kind: body.kind, copy });
  });

  // the customer's till receipt on the shop's printer, by whoever hands orders over: the first copy
  // given out is the original, every later one a duplicate counted in the fiscal journal
  api.staff(can.handOver).post('/orders/:id/receipt/print', {}, async ({ req, user, actor }) => {
    const order = await getOrder(db, orderId(req));
    if (!order || !canActOnShop(actor, order.pizzeriaId)) throw notFound('order');
    if (!(await printerOf(db, order.pizzeriaId))) throw conflict('no_printer', "this shop has no printer: set one on the shop's page");
    const paid = await receiptOf(db, order.id, 'fr');
    if (!paid?.receipt) throw conflict('not_paid', 'a till receipt comes once the order is paid');
    if (!ctx.enqueuePrint) throw new AppError(503, 'unavailable', 'printing is not available on this server');
    const copy = await nextCopy(db, order.id, 'receipt');
    if (copy > 20) throw conflict('too_many_copies', `receipt of order ${order.number} printed 20 times already`);
    await ctx.enqueuePrint({ orderId: order.id, kind: 'receipt', copy, requestedBy: `${user.role}:${user.id}` });
    return accepted({ kind: 'receipt', copy });
  });
  // how the till receipts asked went (the screen that asked follows its copy: printed, or why not),
  // and how many copies were given out, so the button can say "ticket" or "duplicata"
  api.staff(can.handOver).get('/orders/:id/receipt/prints', {}, async ({ req, actor }) => {
    const order = await getOrder(db, orderId(req));
    if (!order || !canActOnShop(actor, order.pizzeriaId)) throw notFound('order');
    return receiptPrintsOf(db, order.id);
  });

  // priority: the manager or the counter puts an order first on every kitchen screen
  api.staff(can.takeOrders).post('/orders/:id/urgent', { body: urgentSchema }, async ({ req, user, actor, body }) => {
    const { order } = await setUrgent(db, actor, orderId(req), body.urgent, { announce: ctx.announce() });
    return orderResponse(order, user);
  });

  // the kitchen read an order's allergy note ("Allergie lue"): a shop that asks for it starts the order only then
  api.staff(can.cook).post('/orders/:id/allergy-read', {}, async ({ req, user, actor }) => {
    const { order } = await readAllergy(db, actor, orderId(req), { announce: ctx.announce() });
    return orderResponse(order, user);
  });

  return api.router;
}
