import { describe, expect, it } from 'vitest';
import { paymentsPreparing } from './pay-preparing.ts';

describe('the payment page looks again', () => {
  it("while the card's payment is not made", () => {
    expect(paymentsPreparing({ ready: false, voucher: null })).toBe(true);
    expect(paymentsPreparing({ ready: false, voucher: { part: { intentId: 'pi_v', state: 'waiting' } } })).toBe(true);
  });

  it("while a titre-restaurant's part chosen has no payment yet, the card's being there already", () => {
    expect(paymentsPreparing({ ready: true, voucher: { part: { intentId: null, state: 'waiting' } } })).toBe(true);
  });

  it('not once every payment shown is made, or the part is held', () => {
    expect(paymentsPreparing({ ready: true, voucher: null })).toBe(false);
    expect(paymentsPreparing({ ready: true, voucher: { part: null } })).toBe(false);
    expect(paymentsPreparing({ ready: true, voucher: { part: { intentId: 'pi_v', state: 'waiting' } } })).toBe(false);
    expect(paymentsPreparing({ ready: true, voucher: { part: { intentId: null, state: 'held' } } })).toBe(false);
  });
});
