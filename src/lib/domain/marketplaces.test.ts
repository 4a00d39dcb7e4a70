import { describe, expect, it } from 'vitest';
import {
  commissionOf, movesStock, decideIntake, expired, lineKey, moneyProblems, parseMenuId, permanentProviderError, platformPrice, PRICE_MARGIN_PCT, stepOfStatus, unitPricesByKey, type IntakeFacts,
} from './marketplaces.ts';

const NOW = Date.parse('2026-11-27T19:00:00Z');
const MIN = 60_000;
const facts = (f: Partial<IntakeFacts> = {}): IntakeFacts => ({
  unmapped: [], onlinePaused: false, openNow: true, unavailable: [], autoAccept: true, readyAt: NOW + 15 * MIN, wantedBy: NOW + 20 * MIN, ...f,
});

describe('a platform order taken onto the make line', () => {
  it('reads our own menu ids, and nothing else as ours', () => {
    expect(parseMenuId('p12')).toEqual({ kind: 'product', id: 12 });
    expect(parseMenuId('o3')).toEqual({ kind: 'option', id: 3 });
    expect(parseMenuId('p0')).toBeNull();
    expect(parseMenuId('p12x')).toBeNull();
    expect(parseMenuId('uber-item-7')).toBeNull();
    expect(parseMenuId('p99999999999')).toBeNull();
  });

  it('is accepted when the store accepts by itself and the kitchen keeps the platform time, ready by the later of the two', () => {
    expect(decideIntake(facts())).toEqual({ kind: 'accept', readyAt: new Date(NOW + 20 * MIN) });
    expect(decideIntake(facts({ wantedBy: null }))).toEqual({ kind: 'accept', readyAt: new Date(NOW + 15 * MIN) });
  });

  it('waits for the manager when an item is unmapped (never dropped), when the store does not accept by itself, or when the kitchen cannot keep the time', () => {
    expect(decideIntake(facts({ unmapped: [{ externalId: 'x1', name: 'Pizza du chef' }] }))).toEqual({
      kind: 'needs_mapping', problems: [{ kind: 'unmapped', externalId: 'x1', name: 'Pizza du chef' }],
    });
    expect(decideIntake(facts({ autoAccept: false }))).toMatchObject({ kind: 'await', problems: [{ kind: 'manual' }] });
    expect(decideIntake(facts({ readyAt: NOW + 40 * MIN }))).toMatchObject({ kind: 'await', problems: [{ kind: 'too_late' }] });
  });

  it('is denied with its reason when the shop is closed, paused, or an item is out', () => {
    expect(decideIntake(facts({ openNow: false }))).toMatchObject({ kind: 'deny', reason: 'store_closed' });
    expect(decideIntake(facts({ onlinePaused: true }))).toMatchObject({ kind: 'deny', reason: 'store_busy' });
    expect(decideIntake(facts({ unavailable: [4] }))).toMatchObject({ kind: 'deny', reason: 'item_unavailable', problems: [{ kind: 'unavailable', productIds: [4] }] });
  });

  it('waits for the manager, never accepted, when a price strays beyond the margin or an amount is at zero or below', () => {
    const line = (name: string, unitPriceCents: number, options: number[] = []) => ({ name, unitPriceCents, options: options.map((priceCents) => ({ priceCents })) });
    const fair = { name: 'Margherita', paidCents: 1290, expectedCents: 1050 };
    expect(moneyProblems({ totalCents: 1290, lines: [line('Margherita', 1290)] }, [fair])).toEqual([]);
    // at the margin's edge still fair, a cent past it not
    const edge = Math.round(1050 * (1 + PRICE_MARGIN_PCT / 100));
    expect(moneyProblems({ totalCents: edge, lines: [line('Margherita', edge)] }, [{ ...fair, paidCents: edge }])).toEqual([]);
    expect(moneyProblems({ totalCents: 1, lines: [line('Margherita', 1)] }, [{ ...fair, paidCents: 1 }])).toEqual([{ kind: 'price', name: 'Margherita', paidCents: 1, expectedCents: 1050 }]);
    expect(moneyProblems({ totalCents: 1000, lines: [line('Margherita', 1100, [-100])] }, [])).toEqual([{ kind: 'amount', name: 'Margherita', cents: -100 }]);
    expect(moneyProblems({ totalCents: 0, lines: [line('Margherita', 0)] }, [])).toEqual([{ kind: 'amount', name: 'Margherita', cents: 0 }, { kind: 'amount', name: null, cents: 0 }]);
    const money = moneyProblems({ totalCents: -5, lines: [] }, []);
    expect(decideIntake(facts({ money }))).toEqual({ kind: 'await', problems: money });
    // a closed shop denies it all the same: nothing is booked either way
    expect(decideIntake(facts({ money, openNow: false }))).toMatchObject({ kind: 'deny', reason: 'store_closed' });
  });

  it('expires at the platform deadline, not before', () => {
    expect(expired(new Date(NOW), NOW)).toBe(true);
    expect(expired(new Date(NOW + 1), NOW)).toBe(false);
    expect(expired(null, NOW)).toBe(false);
  });

  it('tells the platform the kitchen steps, and nothing else', () => {
    expect(['received', 'preparing', 'ready', 'out_for_delivery', 'delivered', 'collected', 'cancelled'].map((s) => stepOfStatus(s as never))).toEqual([
      null, 'preparing', 'ready', null, 'delivered', 'collected', null,
    ]);
  });

  it('prices the menu with the store markup unless the product has its own price there, and counts the commission', () => {
    expect(platformPrice(1200, 15, null)).toBe(1380);
    expect(platformPrice(1200, 15, 1490)).toBe(1490);
    expect(commissionOf(2590, 30)).toBe(777);
  });

  it('puts what the customer paid on our merged lines', () => {
    const prices = unitPricesByKey([
      { key: lineKey(1, [3, 2]), quantity: 1, unitPriceCents: 1400 },
      { key: lineKey(1, [2, 3]), quantity: 1, unitPriceCents: 1600 },
      { key: lineKey(5, []), quantity: 2, unitPriceCents: 350 },
    ]);
    expect(Object.fromEntries(prices)).toEqual({ '1:2,3': 1500, '5:': 350 });
  });

  it('does not retry forever a call the platform refuses for good', () => {
    expect(permanentProviderError({ status: 400 })).toBe(true);
    expect(permanentProviderError({ statusCode: 404 })).toBe(true);
    expect(permanentProviderError({ status: 429 })).toBe(false);
    expect(permanentProviderError({ status: 503 })).toBe(false);
    expect(permanentProviderError(new Error('socket hang up'))).toBe(false);
  });

  it("hears of an order placed, changed or cancelled as its shop's stock moving, and of nothing else", () => {
    expect(movesStock({ type: 'order.placed', order: { status: 'received' } })).toBe(true);
    expect(movesStock({ type: 'order.modified', order: { status: 'received' } })).toBe(true);
    expect(movesStock({ type: 'order.status', order: { status: 'cancelled' } })).toBe(true);
    expect(movesStock({ type: 'order.status', order: { status: 'preparing' } })).toBe(false);
    expect(movesStock({ type: 'order.courier', order: { status: 'received' } })).toBe(false);
  });
});
