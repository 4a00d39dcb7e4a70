import { describe, expect, it } from 'vitest';
import { deliveryFeeCents, emailParts, linesCents, refundPlan, saidInOwnWords, typedCents, type RefundWay } from './refund-plan.ts';

const card: RefundWay = { method: 'provider', refundableCents: 1500, why: null };
const cash: RefundWay = { method: 'cash', refundableCents: 800, why: null };

describe("the sums of an order's page in the back office", () => {
  it('finds the delivery fee in what the total holds beyond the lines, the discount added back', () => {
    const items = [{ unitPriceCents: 1200, quantity: 2 }, { unitPriceCents: 350, quantity: 1 }];
    expect(deliveryFeeCents(2750 + 300, 0, items)).toBe(300);
    expect(deliveryFeeCents(2750 + 300 - 500, 500, items)).toBe(300);
    expect(deliveryFeeCents(2000, 0, items)).toBe(0);
  });

  it('breaks an email only before its "@"', () => {
    expect(emailParts('lina.morel@example.test')).toEqual(['lina.morel', '@example.test']);
    expect(emailParts('@example.test')).toEqual(['@example.test']);
    expect(emailParts('no-at-all')).toEqual(['no-at-all']);
  });

  it('reads euros typed with a comma or a point, two decimals at most', () => {
    expect(typedCents(' 4,50 ')).toBe(450);
    expect(typedCents('4.5')).toBe(450);
    expect(typedCents('12')).toBe(1200);
    expect(typedCents('4,505')).toBe(0);
    expect(typedCents('-3')).toBe(0);
    expect(typedCents('')).toBe(0);
  });

  it('gives back the units chosen of each line, as the server counts them after the discount', () => {
    const lines = [
      { itemId: 1, quantity: 2, left: 2, paidCents: 2000 },
      { itemId: 2, quantity: 3, left: 1, paidCents: 900 },
    ];
    expect(linesCents(lines, {})).toBe(0);
    expect(linesCents(lines, { 1: 1 })).toBe(1000);
    expect(linesCents(lines, { 1: 2, 2: 1 })).toBe(2300);
  });

  it('sends a refund back the way chosen, else the card first and then the cash, as the server does', () => {
    expect(refundPlan(600, { chosen: cash, mixed: true, method: 'provider', usable: [card, cash] })).toEqual([{ method: 'cash', cents: 600 }]);
    expect(refundPlan(600, { chosen: null, mixed: false, method: 'provider', usable: [card] })).toEqual([{ method: 'provider', cents: 600 }]);
    expect(refundPlan(600, { chosen: null, mixed: false, method: null, usable: [] })).toEqual([{ method: 'cash', cents: 600 }]);
    expect(refundPlan(2000, { chosen: null, mixed: true, method: 'provider', usable: [card, cash] })).toEqual([{ method: 'provider', cents: 1500 }, { method: 'cash', cents: 500 }]);
    expect(refundPlan(1000, { chosen: null, mixed: true, method: 'provider', usable: [card, cash] })).toEqual([{ method: 'provider', cents: 1000 }]);
  });

  it("says the server's known refusals in the page's own words, and no other", () => {
    expect(saidInOwnWords('over_refundable')).toBe(true);
    expect(saidInOwnWords('idempotency_key_reused')).toBe(true);
    expect(saidInOwnWords('something_else')).toBe(false);
    expect(saidInOwnWords(undefined)).toBe(false);
  });
});
