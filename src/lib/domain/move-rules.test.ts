import { describe, expect, it } from 'vitest';
import { checkMove, type MoveActor, type MoveBasis } from './move-rules.ts';
import type { Role } from './order-states.ts';

const order = (o: Partial<MoveBasis> = {}): MoveBasis => ({
  pizzeriaId: 1, driverId: null, status: 'received', version: 1, fulfilment: 'delivery', awaitingDecision: false, amountDueCents: 0, ...o,
});
const staff = (role: Role, o: { id?: number; shop?: number | null } = {}): MoveActor => ({
  kind: 'staff', id: o.id ?? 7, role, pizzeriaId: o.shop === undefined ? 1 : o.shop,
});
const refusal = (r: ReturnType<typeof checkMove>) => (r.ok ? null : r.refusal);

describe('a move of an order, checked before it is made', () => {
  it('the kitchen starts its own shop\'s ticket, not another shop\'s; head office may act on any shop', () => {
    expect(checkMove(order(), staff('kitchen'), 'preparing', 1, {}).ok).toBe(true);
    expect(refusal(checkMove(order({ pizzeriaId: 2 }), staff('kitchen'), 'preparing', 1, {}))).toEqual({ kind: 'forbidden', message: 'not your shop' });
    expect(checkMove(order({ pizzeriaId: 2 }), staff('admin', { shop: null }), 'preparing', 1, {}).ok).toBe(true);
  });

  it('an order for later is started only once fired; until then the customer may still cancel it', () => {
    expect(refusal(checkMove(order({ waitingToFire: true }), staff('kitchen'), 'preparing', 1, {}))).toMatchObject({ kind: 'conflict', code: 'not_fired' });
    expect(refusal(checkMove(order({ waitingToFire: true }), staff('manager'), 'preparing', 1, {}))).toMatchObject({ kind: 'conflict', code: 'not_fired' });
    expect(checkMove(order({ waitingToFire: true }), { kind: 'customer' }, 'cancelled', undefined, {}).ok).toBe(true);
    expect(checkMove(order({ waitingToFire: false }), staff('kitchen'), 'preparing', 1, {}).ok).toBe(true);
  });

  it('a ready order does not go back to the oven as an ordinary move: only a recall takes it back', () => {
    expect(refusal(checkMove(order({ status: 'ready' }), staff('kitchen'), 'preparing', 1, {}))).toMatchObject({ kind: 'conflict', code: 'not_allowed', message: expect.stringMatching(/recall/) });
  });

  it('a screen that saw an older version is told the order changed, except a ticket in the oven going to ready', () => {
    expect(refusal(checkMove(order({ version: 3 }), staff('kitchen'), 'preparing', 2, {}))).toMatchObject({ kind: 'conflict', code: 'stale' });
    expect(checkMove(order({ status: 'preparing', version: 3 }), staff('kitchen'), 'ready', 2, {}).ok).toBe(true);
    expect(checkMove(order({ version: 3 }), staff('kitchen'), 'preparing', undefined, {}).ok).toBe(true);
  });

  it('the customer cannot cancel once the kitchen started; a cancelled order is not cancelled twice', () => {
    expect(refusal(checkMove(order({ status: 'preparing' }), { kind: 'customer' }, 'cancelled', undefined, {}))).toMatchObject({ code: 'too_late' });
    expect(refusal(checkMove(order({ status: 'cancelled' }), { kind: 'customer' }, 'cancelled', undefined, {}))).toMatchObject({ code: 'already_cancelled' });
    expect(checkMove(order(), { kind: 'customer' }, 'cancelled', undefined, {}).ok).toBe(true);
  });

  it('a driver delivers only their own delivery, with a proof, and collects at least what is owed', () => {
    const out = order({ status: 'out_for_delivery', driverId: 7, amountDueCents: 2350 });
    expect(refusal(checkMove({ ...out, driverId: 8 }, staff('driver'), 'delivered', undefined, { proof: 'pin' }))).toMatchObject({ message: 'this delivery is not yours' });
    expect(refusal(checkMove(out, staff('driver'), 'delivered', undefined, {}))).toMatchObject({ kind: 'invalid', fields: { proof: expect.any(String) } });
    expect(refusal(checkMove(out, staff('driver'), 'delivered', undefined, { proof: 'pin' }))).toMatchObject({ fields: { collected: 'collect 23.50 € and say how (cash or card)' } });
    expect(refusal(checkMove(out, staff('driver'), 'delivered', undefined, { proof: 'pin', collected: { amountCents: 2000 } }))).toMatchObject({
      fields: { 'collected.amountCents': 'the customer owes 23.50 €' },
    });
    expect(checkMove(out, staff('driver'), 'delivered', undefined, { proof: 'pin', collected: { amountCents: 2500 } })).toMatchObject({ ok: true });
  });

  it('a delivery comes back to the shop only with its reason, and is then cancelled or sent out again by a manager', () => {
    const out = order({ status: 'out_for_delivery', driverId: 7 });
    expect(refusal(checkMove(out, staff('driver'), 'ready', undefined, {}))).toMatchObject({ kind: 'invalid', fields: { reason: expect.any(String) } });
    expect(checkMove(out, staff('driver'), 'ready', undefined, { failure: { reason: 'absent' } })).toMatchObject({ ok: true, failedDelivery: true });
    const back = order({ status: 'ready', awaitingDecision: true, driverId: null });
    expect(refusal(checkMove(back, staff('manager'), 'out_for_delivery', undefined, {}))).toMatchObject({ code: 'no_driver' });
    expect(refusal(checkMove({ ...back, driverId: 9 }, staff('manager'), 'out_for_delivery', undefined, {}))).toMatchObject({ code: 'awaiting_decision' });
    expect(checkMove(back, staff('manager'), 'cancelled', undefined, {}).ok).toBe(true);
    expect(refusal(checkMove({ ...back, awaitingDecision: false }, staff('manager'), 'cancelled', undefined, {}))).toMatchObject({ code: 'not_allowed' });
  });

  it('marking a pending order paid says how; a pickup handed over with money owed says cash or card', () => {
    const pending = order({ status: 'pending_payment' });
    expect(refusal(checkMove(pending, staff('counter'), 'received', undefined, {}))).toMatchObject({ fields: { paymentMethod: expect.any(String) } });
    expect(checkMove(pending, staff('counter'), 'received', undefined, { paymentMethod: 'cash' })).toMatchObject({ ok: true, markedPaid: true });
    const pickup = order({ status: 'ready', fulfilment: 'pickup', amountDueCents: 1200 });
    expect(refusal(checkMove(pickup, staff('counter'), 'collected', undefined, { paymentMethod: 'phone' }))).toMatchObject({ message: 'say how the customer paid' });
    expect(checkMove(pickup, staff('counter'), 'collected', undefined, { paymentMethod: 'card' })).toMatchObject({ ok: true, collectedAtCounter: true });
  });

  it('a role the state machine does not allow is refused by name; an impossible move says where from and where to', () => {
    expect(refusal(checkMove(order(), staff('driver', { id: 7 }), 'preparing', undefined, {}))).toEqual({ kind: 'forbidden', message: 'this delivery is not yours' });
    expect(refusal(checkMove(order({ driverId: 7 }), staff('driver', { id: 7 }), 'preparing', undefined, {}))).toEqual({ kind: 'forbidden', message: 'a driver cannot move an order to preparing' });
    expect(refusal(checkMove(order(), staff('manager'), 'delivered', undefined, {}))).toEqual({ kind: 'conflict', code: 'not_allowed', message: 'an order cannot go from received to delivered' });
  });

  it('an order in the oven is cancelled only by its delivery platform, never by a payment deadline or anyone of ours', () => {
    const inOven = order({ status: 'preparing' });
    expect(checkMove(inOven, { kind: 'system' }, 'cancelled', undefined, { cancelReason: 'platform' }).ok).toBe(true);
    expect(refusal(checkMove(inOven, { kind: 'system' }, 'cancelled', undefined, { cancelReason: 'payment_expired' }))).toMatchObject({ code: 'too_late' });
    expect(refusal(checkMove(inOven, staff('manager'), 'cancelled', undefined, { cancelReason: 'platform' }))).toMatchObject({ kind: 'forbidden' });
  });
});
