import { describe, expect, it } from 'vitest';
import { reactionsTo, wantsLabel, type ReactionContext, type ReactorEvent } from './reactions.ts';

const NOW = Date.parse('2026-11-24T18:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const ctx: ReactionContext = { now: NOW, paymentExpiryMs: 15 * MIN, shopHasPrinter: false };

type Order = ReactorEvent['order'];
type Changes = Omit<Partial<Order>, 'payment' | 'delivery'> & { payment?: Partial<Order['payment']>; delivery?: Partial<Order['delivery']> };

/** An order event: by default a delivery, paid at the door, just placed and received. */
function event(type: string, changes: Changes = {}, eventId = 7): ReactorEvent {
  const { payment, delivery, ...rest } = changes;
  return {
    eventId,
    type,
    order: {
      id: 'o1',
      pizzeriaId: 3,
      status: 'received',
      fulfilment: 'delivery',
      scheduled: null,
      driver: null,
      refundDueCents: 0,
      refundedCents: 0,
      timestamps: { created: iso(NOW - MIN) },
      ...rest,
      payment: { method: 'on_delivery', status: 'due', attempt: 1, holdAt: null, payBy: null, paidWith: null, ...payment },
      delivery: { awaitingDecision: false, attempts: 0, ...delivery },
    },
  };
}
const kinds = (e: ReactorEvent, c: Partial<ReactionContext> = {}) => reactionsTo(e, { ...ctx, ...c }).map((r) => r.kind);

describe('what the workers do about an order event', () => {
  it('the customer hears of a step that matters to them, and of nothing else', () => {
    expect(reactionsTo(event('order.placed'), ctx)).toEqual([{ kind: 'message', step: 'received' }]);
    expect(reactionsTo(event('order.status', { status: 'ready', fulfilment: 'pickup' }), ctx)).toContainEqual({ kind: 'message', step: 'ready' });
    expect(kinds(event('order.lines'))).toEqual([]);
  });

  it('an order awaiting its online payment asks the provider, and expires at its deadline counted from when it first awaited payment', () => {
    const since = NOW - 5 * MIN;
    const e = event('order.modified', { status: 'pending_payment', payment: { method: 'online', status: 'pending', attempt: 2 }, timestamps: { pending_payment: iso(since) } });
    expect(reactionsTo(e, ctx)).toEqual([
      { kind: 'begin-payment', attempt: 2 },
      { kind: 'expire-payment', attempt: 2, delayMs: 10 * MIN + 1000 },
    ]);
    // already past it: expired a second from now; paid at the door: nothing to ask
    const late = event('order.placed', { status: 'pending_payment', payment: { method: 'online', status: 'pending' }, timestamps: { created: iso(NOW - 20 * MIN) } });
    expect(reactionsTo(late, ctx)).toContainEqual({ kind: 'expire-payment', attempt: 1, delayMs: 1000 });
    expect(kinds(event('order.status', { status: 'pending_payment', payment: { method: 'online', status: 'pending' } }))).toEqual([]);
  });

  it('an order for later, taken, is fired into the make line at its time; once fired, not again', () => {
    const scheduled = { fireAt: iso(NOW + 30 * MIN), fired: false };
    expect(reactionsTo(event('order.modified', { scheduled }), ctx)).toEqual([{ kind: 'fire', delayMs: 30 * MIN }]);
    expect(kinds(event('order.modified', { scheduled: { ...scheduled, fired: true } }))).toEqual([]);
  });

  it('a card saved for an order for later is held the day before its slot, and at once when the order is fired early', () => {
    const payment = { method: 'online', status: 'card_saved', holdAt: iso(NOW + 60 * MIN) };
    expect(reactionsTo(event('order.modified', { payment }), ctx)).toEqual([{ kind: 'hold', delayMs: 60 * MIN, promote: false }]);
    expect(reactionsTo(event('order.fired', { payment }), ctx)).toEqual([{ kind: 'hold', delayMs: 0, promote: true }]);
    expect(kinds(event('order.status', { status: 'cancelled', payment }))).not.toContain('hold');
  });

  it('a refused hold is told to the customer, and the order cancelled a second past its deadline if still unpaid', () => {
    const e = event('order.modified', { payment: { method: 'online', status: 'failed', payBy: iso(NOW + 2 * MIN) } });
    expect(reactionsTo(e, ctx)).toEqual([
      { kind: 'message', step: 'hold-failed' },
      { kind: 'hold-deadline', delayMs: 2 * MIN + 1000 },
    ]);
  });

  it('an order for later paid online forgets its saved card once it has ended', () => {
    const scheduled = { fireAt: iso(NOW - MIN), fired: true };
    const payment = { method: 'online', status: 'paid' };
    expect(kinds(event('order.status', { status: 'delivered', scheduled, payment }))).toContain('forget-card');
    expect(kinds(event('order.status', { status: 'out_for_delivery', scheduled, payment }))).not.toContain('forget-card');
    expect(kinds(event('order.status', { status: 'delivered', payment }))).not.toContain('forget-card');
  });

  it("a manager's refund through the provider is made once per request", () => {
    expect(reactionsTo(event('order.refund_requested', {}, 42), ctx)).toEqual([{ kind: 'manager-refund', eventId: 42 }]);
  });

  it('money owed back on an order paid through the provider is refunded, keyed by what was refunded so far', () => {
    const owed = { refundDueCents: 500, refundedCents: 300 };
    expect(reactionsTo(event('order.modified', { ...owed, payment: { paidWith: 'online' } }), ctx)).toEqual([{ kind: 'refund', refundedSoFarCents: 300 }]);
    expect(kinds(event('order.modified', { ...owed, payment: { paidWith: 'cash' } }))).toEqual([]);
  });

  it('a delivery sent out again after a failure is a new trip with a new dispatch', () => {
    const e = event('order.redelivery', { status: 'ready', delivery: { attempts: 1 } });
    expect(reactionsTo(e, ctx)).toEqual([{ kind: 'dispatch', round: 1, replaceFinished: false }]);
  });

  it('a delivery a manager took off its driver is dispatched again under a job of its own', () => {
    expect(reactionsTo(event('order.unassigned', { status: 'ready' }, 9), ctx)).toEqual([{ kind: 'redispatch', round: 0, eventId: 9 }]);
    expect(kinds(event('order.unassigned', { status: 'ready', delivery: { awaitingDecision: true } }))).toEqual([]);
  });

  it('a "ready" taken back to the oven drops its dispatch and gets its timer again, from its first start', () => {
    const started = NOW - 8 * MIN;
    const e = event('order.recalled', { status: 'preparing', timestamps: { preparing: iso(started) } }, 11);
    expect(reactionsTo(e, ctx)).toEqual([
      { kind: 'drop-dispatch', round: 0 },
      { kind: 'prep-timer', startedAt: started, eventId: 11 },
    ]);
  });

  it('an order the kitchen starts has its stock folded and its timer started, and its card hold taken', () => {
    const e = event('order.status', { status: 'preparing', payment: { method: 'online', status: 'authorised' } }, 12);
    expect(reactionsTo(e, ctx)).toEqual([{ kind: 'fold-stock' }, { kind: 'prep-timer', startedAt: NOW, eventId: 12 }, { kind: 'capture' }]);
    expect(kinds(event('order.status', { status: 'preparing' }))).toEqual(['fold-stock', 'prep-timer']);
  });

  it('an order out of the oven gets a label for its box where its shop has a printer, not when back from a failed delivery', () => {
    const ready = event('order.status', { status: 'ready', fulfilment: 'pickup' });
    expect(wantsLabel(ready)).toBe(true);
    expect(kinds(ready, { shopHasPrinter: true })).toEqual(['message', 'print-label']);
    expect(kinds(ready)).toEqual(['message']);
    expect(wantsLabel(event('order.status', { status: 'ready', delivery: { attempts: 1 } }))).toBe(false);
  });

  it('a delivery ready with no driver is dispatched, replacing a dispatch of the same trip that already finished', () => {
    expect(reactionsTo(event('order.status', { status: 'ready' }), ctx)).toEqual([{ kind: 'dispatch', round: 0, replaceFinished: true }]);
    expect(kinds(event('order.status', { status: 'ready', driver: { id: 1 } }))).toEqual([]);
  });

  it('a kitchen step of a platform order is told to its platform; an order of ours tells no platform', () => {
    const platform = { marketplace: { id: 'uber_eats' } };
    expect(reactionsTo(event('order.status', { status: 'preparing', fulfilment: 'pickup', ...platform }), ctx)).toContainEqual({ kind: 'platform-step', step: 'preparing' });
    expect(reactionsTo(event('order.status', { status: 'ready', fulfilment: 'pickup', ...platform }), ctx)).toContainEqual({ kind: 'platform-step', step: 'ready' });
    expect(reactionsTo(event('order.status', { status: 'collected', fulfilment: 'pickup', ...platform }), ctx)).toContainEqual({ kind: 'platform-step', step: 'collected' });
    expect(kinds(event('order.status', { status: 'preparing', fulfilment: 'pickup' }))).not.toContain('platform-step');
    // a courier's news or a crossed-off line is no step
    expect(kinds(event('order.courier', { status: 'preparing', ...platform }))).toEqual([]);
  });

  it('our cancel of a platform order is told to the platform, but not a cancel the platform made itself', () => {
    const platform = { marketplace: { id: 'deliveroo' }, status: 'cancelled' as const };
    expect(kinds(event('order.status', { ...platform, cancelReason: 'shop' }))).toContain('platform-cancel');
    expect(kinds(event('order.status', { ...platform, cancelReason: 'platform' }))).not.toContain('platform-cancel');
    expect(kinds(event('order.status', { status: 'cancelled', cancelReason: 'shop' }))).not.toContain('platform-cancel');
  });
});

describe('tips for the drivers', () => {
  it('a delivery with a tip given at checkout has its tip shared once delivered, and one without has nothing to share', () => {
    const paid = { method: 'online', status: 'paid', paidWith: 'online' };
    expect(kinds(event('order.status', { status: 'delivered', payment: { ...paid, tipCents: 200 } }))).toContain('share-tips');
    expect(kinds(event('order.status', { status: 'delivered', payment: paid }))).not.toContain('share-tips');
    expect(kinds(event('order.status', { status: 'out_for_delivery', payment: { ...paid, tipCents: 200 } }))).not.toContain('share-tips');
    expect(kinds(event('order.modified', { status: 'delivered', payment: { ...paid, tipCents: 200 } }))).not.toContain('share-tips');
  });
});

