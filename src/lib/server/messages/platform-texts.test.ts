import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS } from '../../domain/eta.ts';
import { composeMessages, textable } from './notifications.ts';

// A delivery platform's customer is the platform's (issue 56): texted only when the shop delivers
// and the platform gave a plain mobile number. Uber Eats gives a shop that delivers the eater's
// `phone` (a masked number) and a `phone_code` to dial after it; Deliveroo likewise: neither takes a
// text. Our own customers are texted as before.
type Order = Parameters<typeof composeMessages>[0];
const order = (over: Partial<Order> = {}) =>
  ({
    number: 42, name: 'Camille', email: null, phone: '06 12 34 56 78', lang: 'fr', token: 'tok_abcdefghijklmnopqrstuv',
    status: 'out_for_delivery', fulfilment: 'delivery', totalCents: 2450, paidCents: 2450, refundedCents: 0, refundDueCents: 0, captured: false,
    shop: 'OC Pizza Bastille', from: null, to: null, client: null, payBy: null, ...over,
  }) as Order;
const ctx = { origin: 'https://ocpizza.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const };

describe('texts to a platform\'s customer', () => {
  it('our own customer is texted on the way, as before', () => {
    expect(composeMessages(order(), 'out_for_delivery', ctx).sms?.to).toBe('+33612345678');
  });

  it('a platform order the shop delivers, with a plain mobile number: texted', () => {
    expect(composeMessages(order({ platform: true }), 'out_for_delivery', ctx).sms).not.toBeNull();
    expect(textable({ platform: true, fulfilment: 'delivery', phone: '+33 7 12 34 56 78' })).toBe(true);
  });

  it('a masked number with its access code after it, a landline, or a courier of the platform\'s: never texted', () => {
    for (const phone of ['+33 1 76 36 12 34 123 45 678', '+33176361234 12345678', '01 76 36 12 34', '+44 7700 900123', '']) {
      expect(composeMessages(order({ platform: true, phone }), 'out_for_delivery', ctx).sms, phone).toBeNull();
    }
    // collected by the platform's courier: its customer hears from the platform
    expect(textable({ platform: true, fulfilment: 'pickup', phone: '06 12 34 56 78' })).toBe(false);
  });
});
