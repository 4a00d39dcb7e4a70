import { describe, expect, it } from 'vitest';
import { lastBump, mayRecall, recallWindow, type RecallBasis } from './recall.ts';

const now = Date.parse('2026-11-24T20:00:00Z');
const WINDOW = 120_000;
const ready = (fields: Partial<RecallBasis> = {}): RecallBasis => ({
  pizzeriaId: 1, number: 42, status: 'ready', fulfilment: 'delivery', driverId: null, awaitingDecision: false, deliveryAttempts: 0, readyAt: now - 30_000, ...fields,
});
const code = (r: ReturnType<typeof recallWindow>) => (r.ok ? 'ok' : r.refusal.kind === 'conflict' ? r.refusal.code : r.refusal.kind);

describe('taking a bump back', () => {
  it('a ready order goes back to the oven within the window after its bump, and says until when', () => {
    expect(recallWindow(ready(), now, WINDOW)).toEqual({ ok: true, until: now - 30_000 + WINDOW });
    expect(code(recallWindow(ready({ readyAt: now - WINDOW - 1 }), now, WINDOW))).toBe('too_late');
  });

  it('not once something depends on it: a driver has it, it came back from a failed delivery, it was handed over', () => {
    expect(code(recallWindow(ready({ driverId: 7 }), now, WINDOW))).toBe('driver_has_it');
    expect(code(recallWindow(ready({ awaitingDecision: true }), now, WINDOW))).toBe('came_back');
    expect(code(recallWindow(ready({ deliveryAttempts: 1 }), now, WINDOW))).toBe('came_back');
    for (const status of ['collected', 'out_for_delivery', 'delivered'] as const) expect(code(recallWindow(ready({ status }), now, WINDOW))).toBe('handed_over');
  });

  it('a start is never undone, and what was not started has nothing to undo', () => {
    const started = recallWindow(ready({ status: 'preparing' }), now, WINDOW);
    expect(code(started)).toBe('in_the_oven');
    expect(!started.ok && started.refusal.message).toMatch(/stock and the card hold/);
    expect(code(recallWindow(ready({ status: 'received' }), now, WINDOW))).toBe('not_started');
    expect(code(recallWindow(ready({ status: 'cancelled' }), now, WINDOW))).toBe('not_allowed');
  });

  it('the kitchen and managers of the shop may, head office anywhere; the counter and drivers may not', () => {
    expect(mayRecall({ kind: 'staff', role: 'kitchen', pizzeriaId: 1 }, 1)).toBeNull();
    expect(mayRecall({ kind: 'staff', role: 'admin', pizzeriaId: null }, 1)).toBeNull();
    expect(mayRecall({ kind: 'staff', role: 'kitchen', pizzeriaId: 2 }, 1)?.message).toBe('not your shop');
    expect(mayRecall({ kind: 'staff', role: 'counter', pizzeriaId: 1 }, 1)?.kind).toBe('forbidden');
    expect(mayRecall({ kind: 'staff', role: 'driver', pizzeriaId: 1 }, 1)?.kind).toBe('forbidden');
  });
});

describe('the last bumps, one tap away', () => {
  const bumped = (fields: Partial<Parameters<typeof lastBump>[0]> = {}) => ({ ...ready(), collectedAt: null, outForDeliveryAt: null, ...fields });

  it('a ready order still in the window says until when it can go back to the oven', () => {
    expect(lastBump(bumped(), now, WINDOW)).toEqual({ bump: 'ready', at: now - 30_000, undoableUntil: now - 30_000 + WINDOW, reason: null });
  });

  it('its latest move is the bump: a pickup handed over, a delivery picked up, each with why it stays', () => {
    const collected = lastBump(bumped({ status: 'collected', fulfilment: 'pickup', collectedAt: now - 5_000 }), now, WINDOW);
    expect(collected).toMatchObject({ bump: 'collected', at: now - 5_000, undoableUntil: null, reason: { code: 'handed_over' } });
    const out = lastBump(bumped({ status: 'out_for_delivery', driverId: 7, outForDeliveryAt: now - 1_000 }), now, WINDOW);
    expect(out).toMatchObject({ bump: 'out_for_delivery', undoableUntil: null, reason: { code: 'handed_over' } });
    expect(lastBump(bumped({ readyAt: now - WINDOW - 1 }), now, WINDOW)?.reason?.message).toMatch(/too late to undo/);
  });

  it('an order never bumped (or taken back to the oven: its ready time cleared) has none', () => {
    expect(lastBump(bumped({ status: 'preparing', readyAt: null }), now, WINDOW)).toBeNull();
  });
});
