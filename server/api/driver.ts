// The driver's own: going on and off shift, and the money brought back (a blind declaration: the
// driver is not told what the deliveries say).
import { cashDeclareSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { shiftSchema } from '../../src/lib/shapes/order-requests.ts';
import { currentShift, declareCash } from '../../src/lib/server/money/cash.ts';
import { setShift } from '../../src/lib/server/orders/index.ts';
import { Routes, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function driverRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const drivers = new Routes(ctx);
  const driver = drivers.staff(can.drive);

  // going off shift declines the offers the driver held: their events reach the screens before the answer
  driver.post('/driver/shift', { body: shiftSchema }, ({ actor, body }) => setShift(db, actor, body.onShift));
  driver.get('/driver/cash', {}, async ({ user }) => {
    const shift = await currentShift(db, user.id);
    return shift
      ? { id: shift.id, startedAt: shift.startedAt, endedAt: shift.endedAt, collections: shift.collections, declaredCashCents: shift.declaredCashCents, declaredCardCents: shift.declaredCardCents }
      : null;
  });
  driver.post('/driver/cash', { body: cashDeclareSchema }, async ({ actor, body }) => {
    const shift = await declareCash(db, actor, body);
    return { id: shift.id, declaredCashCents: shift.declaredCashCents, declaredCardCents: shift.declaredCardCents, declaredAt: shift.declaredAt };
  });

  return drivers.router;
}
