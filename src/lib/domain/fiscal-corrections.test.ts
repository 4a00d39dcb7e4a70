import { describe, expect, it } from 'vitest';
import { correctableParts, correctionPayments, paymentCorrection, type CorrectableOrder } from './fiscal-corrections.ts';

const order = (o: Partial<CorrectableOrder>): CorrectableOrder => ({ status: 'collected', paidCents: 1450, paidWith: null, collectedCents: null, collectedMethod: null, ...o });

describe('correcting how an order was paid', () => {
  it('refuses to re-book a pickup the card terminal took (the provider recorded it), and offers no part of it to correct', () => {
    const o = order({ collectedCents: 1450, collectedMethod: 'terminal' });
    for (const to of ['cash', 'card', 'phone'] as const) expect(paymentCorrection(o, 'handover', to)).toEqual({ refused: 'provider' });
    expect(correctableParts(o)).toEqual([]);
    // a card declared at the counter is still corrected, as before
    expect(paymentCorrection(order({ collectedCents: 1450, collectedMethod: 'card' }), 'handover', 'cash')).toMatchObject({ from: 'counter_card', to: 'counter_cash' });
  });

  it('refuses to re-book a QR code paid at the door, before and after the delivery', () => {
    for (const status of ['out_for_delivery', 'delivered']) {
      const o = order({ status, collectedCents: 1450, collectedMethod: 'qr' });
      for (const to of ['cash', 'card'] as const) expect(paymentCorrection(o, 'handover', to)).toEqual({ refused: 'provider' });
      expect(correctableParts(o)).toEqual([]);
    }
  });

  it('moves a pickup handed over for cash to card at the counter, the amount out of one way and into the other', () => {
    const c = paymentCorrection(order({ collectedCents: 1450, collectedMethod: 'cash' }), 'handover', 'card');
    expect(c).toEqual({ part: 'handover', from: 'counter_cash', to: 'counter_card', cents: 1450, collectedMethod: 'card', atTheDoor: false });
    expect(correctionPayments(c as never)).toEqual([{ way: 'counter_cash', cents: -1450 }, { way: 'counter_card', cents: 1450 }]);
  });

  it('moves an order marked paid by card before the kitchen to cash, or to the phone', () => {
    expect(paymentCorrection(order({ status: 'preparing', paidWith: 'card' }), 'paid', 'cash')).toMatchObject({ from: 'counter_card', to: 'counter_cash', cents: 1450, paidWith: 'cash' });
    expect(paymentCorrection(order({ status: 'received', paidWith: 'card' }), 'paid', 'phone')).toMatchObject({ from: 'counter_card', to: 'phone', cents: 1450 });
  });

  it('says a payment at the door is the driver\'s (for the shop\'s managers to correct)', () => {
    expect(paymentCorrection(order({ status: 'delivered', collectedCents: 1300, collectedMethod: 'cash', paidCents: 1300 }), 'handover', 'card'))
      .toMatchObject({ from: 'door_cash', to: 'door_card', cents: 1300, atTheDoor: true });
  });

  it('refuses what is not a payment taken at the shop: online, cancelled, nothing taken, the same way, the phone at a handover', () => {
    expect(paymentCorrection(order({ paidWith: 'online' }), 'paid', 'cash')).toEqual({ refused: 'online' });
    expect(paymentCorrection(order({ status: 'cancelled', paidWith: 'cash' }), 'paid', 'card')).toEqual({ refused: 'cancelled' });
    expect(paymentCorrection(order({ paidCents: 0, paidWith: 'cash', status: 'received' }), 'paid', 'card')).toEqual({ refused: 'nothing_taken' });
    expect(paymentCorrection(order({ paidWith: 'cash' }), 'paid', 'cash')).toEqual({ refused: 'same_way' });
    expect(paymentCorrection(order({ status: 'ready', paidWith: null }), 'handover', 'card')).toEqual({ refused: 'not_at_handover' });
    expect(paymentCorrection(order({ collectedCents: 1450, collectedMethod: 'cash' }), 'handover', 'phone')).toEqual({ refused: 'not_at_handover' });
  });

  it('keeps apart what was paid before and what the handover took, even in the same way', () => {
    // 10,00 paid cash before the kitchen, 4,50 more in cash at the handover (an order grown since)
    const o = order({ paidWith: 'cash', collectedCents: 450, collectedMethod: 'cash' });
    expect(paymentCorrection(o, 'paid', 'card')).toMatchObject({ from: 'counter_cash', cents: 1000 });
    expect(paymentCorrection(o, 'handover', 'card')).toMatchObject({ from: 'counter_cash', cents: 450 });
    expect(correctableParts(o)).toEqual([
      { part: 'paid', method: 'cash', way: 'counter_cash', cents: 1000, to: ['card', 'phone'], atTheDoor: false },
      { part: 'handover', method: 'cash', way: 'counter_cash', cents: 450, to: ['card'], atTheDoor: false },
    ]);
    expect(correctableParts(order({ paidWith: 'online' }))).toEqual([]);
  });
});
