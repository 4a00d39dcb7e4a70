import { describe, expect, it } from 'vitest';
import type { ManagerAlert } from '../../domain/alerts.ts';
import { alertText, type AlertWords } from './alert-text.ts';

const NOW = Date.parse('2026-11-27T20:00:00Z');
// the key and the values it was given, so each sentence's parts can be read back
const t = (key: string, vars?: Record<string, unknown>) => `${key}${vars ? ' ' + JSON.stringify(vars) : ''}`;
const words: AlertWords = { t, time: (iso) => iso.slice(11, 16), shopName: new Map([[1, 'Bastille']]), now: NOW };
const alert = (fields: Partial<ManagerAlert>): ManagerAlert => ({ id: 'x', kind: 'waiting_driver', pizzeriaId: 1, since: NOW - 5 * 60_000, ...fields });

describe("the live page's words for an alert", () => {
  it('names the shop, the order and the minutes it has been so', () => {
    expect(alertText(alert({ number: 12 }), words)).toBe('alerts.waiting_driver {"number":12,"shop":"Bastille","minutes":5}');
    expect(alertText(alert({ pizzeriaId: 9, since: NOW + 1000 }), words)).toBe('alerts.waiting_driver {"shop":"","minutes":0}');
  });

  it('says a late order is expected late while its promise is ahead, then by how much it is past it', () => {
    const promisedAt = NOW + 10 * 60_000;
    expect(alertText(alert({ kind: 'late', number: 3, promisedAt, expectedMinutes: 7 }), words)).toContain('alerts.late_expected');
    expect(alertText(alert({ kind: 'late', number: 3, promisedAt, expectedMinutes: 7 }), words)).toContain('"minutes":7,"time":"20:10"');
    expect(alertText(alert({ kind: 'late', number: 3, promisedAt: NOW - 90_000, expectedMinutes: 7 }), words)).toMatch(/^alerts\.late \{.*"minutes":2\}$/);
    expect(alertText(alert({ kind: 'late', since: NOW - 10_000 }), words)).toMatch(/"minutes":1\}$/);
  });

  it("counts down a platform order's minutes to accept it, and names the items still to map", () => {
    const text = alertText(alert({ kind: 'platform_order', marketplace: 'deliveroo', name: 'DR-12', acceptBy: NOW + 150_000, unmapped: ['Reine XL'] }), words);
    expect(text).toContain('"platform":"platformIntake.names.deliveroo {\\"defaultValue\\":\\"deliveroo\\"}"');
    expect(text).toContain('"code":"DR-12"');
    expect(text).toContain('platformIntake.unmapped {\\"items\\":\\"Reine XL\\"}');
    expect(text).toContain('platformIntake.left {\\"minutes\\":3}');
    expect(alertText(alert({ kind: 'platform_order', marketplace: 'uber_eats', acceptBy: null }), words)).toContain('"what":"platformIntake.toAccept","left":""');
    // its prices are not ours: the alert says to check them
    expect(alertText(alert({ kind: 'platform_order', marketplace: 'uber_eats', acceptBy: null, priceCheck: true }), words)).toContain('"what":"platformIntake.checkPrices"');
  });

  it('says which platform has not taken what since when, and how many tries', () => {
    const text = alertText(alert({ kind: 'platform_push', marketplace: 'deliveroo', push: 'availability', count: 3 }), words);
    expect(text).toMatch(/^alerts\.platform_push /);
    expect(text).toContain('"what":"alerts.push_availability"');
    expect(text).toContain('"time":"19:55"');
    expect(text).toContain('"count":3');
  });

  it('names the titre-restaurant its issuer refused and what to take at the handover instead', () => {
    const text = alertText(alert({ kind: 'voucher_refused', number: 14, voucher: { issuer: 'pluxee', cents: 2500 } }), words);
    expect(text).toMatch(/^alerts\.voucher_refused /);
    expect(text).toContain('"issuer":"takings.way.voucher_pluxee","amount":"25.00 €"');
    expect(alertText(alert({ kind: 'voucher_refused', voucher: { issuer: null, cents: 900 } }), words)).toContain('"issuer":"alerts.voucher_unknown"');
  });

  it("gives a low rating's stars, the delivery's only when there was one, and its comment", () => {
    expect(alertText(alert({ kind: 'low_rating', food: 1, delivery: null }), words)).toMatch(/^alerts\.low_rating \{.*"scores":"alerts\.scoreFood \{\\"stars\\":1\}"/);
    const commented = alertText(alert({ kind: 'low_rating', food: 2, delivery: 1, comment: 'froide' }), words);
    expect(commented).toMatch(/^alerts\.low_rating_comment /);
    expect(commented).toContain('alerts.scoreDelivery {\\"stars\\":1}');
    expect(commented).toContain('"comment":"froide"');
  });

  it("names a client holding too much, and the orders they still hold unpaid", () => {
    expect(alertText(alert({ kind: 'held_stock' }), words)).toMatch(/^alerts\.held_stock_share /);
    expect(alertText(alert({ kind: 'held_stock', name: 'Paul', orders: [4, 5] }), words)).toContain('"orders":"alerts.held_stock_orders {\\"numbers\\":\\"4, 5\\"}"');
    expect(alertText(alert({ kind: 'held_stock', name: 'Paul', orders: [] }), words)).toContain('"orders":"alerts.held_stock_no_orders"');
  });
});
