// The shop's card terminal: its readers, registered by a manager of the shop; the counter sends what
// a pickup owes to a reader, follows the payment (waiting, approved, declined, cancelled) and may
// cancel it. The order is paid only by the provider's event (src/lib/server/money/terminal.ts).
import { can } from '../../src/lib/domain/permissions.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { cancelTerminalPayment, registerReader, shopReaders, startTerminalPayment, terminalPaymentOf, terminalReconciliation } from '../../src/lib/server/money/terminal.ts';
import { mayFor } from '../../src/lib/domain/permissions.ts';
import { UUID } from '../../src/lib/shapes/order-requests.ts';
import { takingsQuery } from '../../src/lib/shapes/back-office-requests.ts';
import { todayInParis } from '../../src/lib/server/money/takings.ts';
import { demoCardSchema, readerRegistrationSchema, terminalPaymentSchema } from '../../src/lib/shapes/terminal-requests.ts';
import { Answer, Routes, numericId, orderId, type ApiContext } from './kit.ts';
import { paymentEvents } from './payments.ts';
import { DemoTerminalProvider } from '../../src/lib/server/money/terminal-demo.ts';
import { readerOfPayment } from '../../src/lib/server/money/terminal.ts';

export function terminalRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);
  const counter = api.staff(can.takeOrders);
  const provider = () => {
    if (!ctx.terminal) throw new AppError(503, 'no_terminal', 'card terminals are not set up here (no payment provider)');
    return ctx.terminal;
  };
  const paymentId = (id: unknown) => {
    if (typeof id !== 'string' || !UUID.test(id)) throw notFound('terminal payment');
    return id;
  };

  managers.get('/shops/:id/readers', {}, async ({ req, actor }) => {
    const shopId = numericId(req);
    if (!mayFor(actor, can.runShop, shopId)) throw notFound('shop');
    return { readers: await shopReaders(db, shopId) };
  });
  managers.post('/shops/:id/readers', { body: readerRegistrationSchema }, async ({ req, actor, body }) =>
    new Answer(201, await registerReader(db, provider(), actor, numericId(req), body)),
  );

  // the day's terminal card takings against the provider's records (the takings page shows the same)
  managers.get('/shops/:id/terminal-reconciliation', { query: takingsQuery }, async ({ req, actor, query }) => {
    const shopId = numericId(req);
    if (!mayFor(actor, can.runShop, shopId)) throw notFound('shop');
    const day = query.date ?? (await todayInParis(db));
    return { date: day, reconciliation: await terminalReconciliation(db, provider(), shopId, day) };
  });

  counter.post('/orders/:id/terminal-payments', { body: terminalPaymentSchema }, async ({ req, actor, body }) =>
    new Answer(201, await startTerminalPayment(db, provider(), actor, orderId(req), body.readerId)),
  );
  counter.get('/terminal-payments/:id', {}, ({ req, actor }) => terminalPaymentOf(db, actor, paymentId(req.params.id)));
  counter.post('/terminal-payments/:id/cancel', {}, ({ req, actor }) => cancelTerminalPayment(db, provider(), actor, paymentId(req.params.id)));

  // the demo's simulated reader (no Stripe keys): a card presented from the counter's screen, its
  // outcome received as Stripe's event would be (signed, through the webhook's road)
  counter.post('/terminal-payments/:id/demo-card', { body: demoCardSchema }, async ({ req, actor, body }) => {
    const terminal = ctx.terminal;
    const events = paymentEvents(ctx);
    if (!(terminal instanceof DemoTerminalProvider) || !events) throw notFound('route');
    const id = paymentId(req.params.id);
    await terminalPaymentOf(db, actor, id);
    const signed = terminal.present(await readerOfPayment(db, id), body.outcome);
    await events.receive(signed.payload, { 'stripe-signature': signed.signature });
    return terminalPaymentOf(db, actor, id);
  });
  return api.router;
}
