// Paying at the door by QR code: the driver carrying an order asks for a code for what it owes (its
// page opened at the provider), follows it and may close it; the order is paid only by the
// provider's event (src/lib/server/money/door-qr.ts). Managers read the day's door payments against
// the provider's records. In demo mode, the customer's payment page is this server's own.
import express, { type Response } from 'express';
import type QRCode from 'qrcode';
import { whenNeeded } from '../../src/lib/server/kernel/when-needed.ts';
import { can, mayFor } from '../../src/lib/domain/permissions.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { cancelDoorQr, doorQrOf, doorQrReconciliation, startDoorQr, type DoorQrView } from '../../src/lib/server/money/door-qr.ts';
import { DemoDoorQrProvider } from '../../src/lib/server/money/door-qr-demo.ts';
import { todayInParis } from '../../src/lib/server/money/takings.ts';
import { takingsQuery } from '../../src/lib/shapes/back-office-requests.ts';
import { SESSION_REF, demoDoorPaySchema } from '../../src/lib/shapes/door-qr-requests.ts';
import { UUID } from '../../src/lib/shapes/order-requests.ts';
import { Answer, Routes, numericId, orderId, parse, type ApiContext } from './kit.ts';
import { paymentEvents } from './payments.ts';

/** The QR code maker, loaded at the first code drawn (kernel/when-needed.ts). */
const qrcode = whenNeeded<typeof QRCode>('qrcode');

/** The code as the driver's phone draws it: the page's address as a QR code (SVG, black on white, a quiet zone of 4 modules). */
async function withQr(v: DoorQrView): Promise<DoorQrView & { qrSvg: string | null }> {
  const qrSvg = v.url && v.state === 'open' ? await qrcode().toString(v.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } }) : null;
  return { ...v, qrSvg };
}

export function doorQrRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const provider = () => {
    if (!ctx.doorQr) throw new AppError(503, 'no_door_qr', 'payments at the door by QR code are not set up here (no payment provider)');
    return ctx.doorQr;
  };
  const paymentId = (id: unknown) => {
    if (typeof id !== 'string' || !UUID.test(id)) throw notFound('door payment');
    return id;
  };
  const onTheRoad = api.staff(can.drive);
  const follows = api.staff(can.deliver);
  // where the customer lands once paid: the shop's public address, else the one the driver's phone reached
  const origin = (req: express.Request) => ctx.config.PUBLIC_ORIGIN ?? `${req.protocol}://${req.get('host')}`;

  onTheRoad.post('/orders/:id/door-qr', {}, async ({ req, actor }) => {
    const id = orderId(req);
    return new Answer(201, await withQr(await startDoorQr(db, provider(), actor, id, `${origin(req)}/pay/door/done`)));
  });
  follows.get('/door-qr/:id', {}, async ({ req, actor }) => withQr(await doorQrOf(db, actor, paymentId(req.params.id))));
  follows.post('/door-qr/:id/cancel', {}, async ({ req, actor }) => withQr(await cancelDoorQr(db, provider(), actor, paymentId(req.params.id))));

  // the day's door QR takings against the provider's records (the takings page shows the same)
  api.staff(can.runShop).get('/shops/:id/door-qr-reconciliation', { query: takingsQuery }, async ({ req, actor, query }) => {
    const shopId = numericId(req);
    if (!mayFor(actor, can.runShop, shopId)) throw notFound('shop');
    const day = query.date ?? (await todayInParis(db));
    return { date: day, reconciliation: await doorQrReconciliation(db, provider(), shopId, day) };
  });

  // the demo's payment page (no Stripe keys): the customer's answer becomes the event Stripe would
  // send, signed here and received like Stripe's; a plain form post is answered with a redirect back
  const form = express.urlencoded({ extended: false, limit: '1kb' });
  api.anyone.post('/pay/door/:session', { use: [ctx.customerLimiter, form] }, async ({ req }) => {
    const door = ctx.doorQr;
    const events = paymentEvents(ctx);
    const ref = String(req.params.session);
    if (!(door instanceof DemoDoorQrProvider) || !events || !SESSION_REF.test(ref) || !door.session(ref)) throw notFound('payment page');
    const { outcome } = parse(demoDoorPaySchema, req.body ?? {});
    const signed = door.pay(ref, outcome);
    await events.receive(signed.payload, { 'stripe-signature': signed.signature });
    if (req.is('application/x-www-form-urlencoded')) return (res: Response) => res.redirect(303, `/pay/door/${encodeURIComponent(ref)}`);
    return { outcome };
  });
  return api.router;
}
