import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS } from '../../domain/eta.ts';
import { composeMessages } from './notifications.ts';

// The message that says an order was handed over asks for a rating, with the tracking link where
// the rating form is (the receipt's link stays).
type Order = Parameters<typeof composeMessages>[0];
// what a handover message reads of an order (the rest of it does not matter here)
const order = (over: Partial<Order> = {}) =>
  ({
    number: 42, name: 'Camille', email: 'camille@example.test', phone: '0612345678', lang: 'fr', token: 'tok_abcdefghijklmnopqrstuv',
    status: 'delivered', fulfilment: 'delivery', totalCents: 2450, paidCents: 2450, refundedCents: 0, refundDueCents: 0, captured: false,
    shop: 'OC Pizza Bastille', from: null, to: null, client: null, ...over,
  }) as Order;
const ctx = { origin: 'https://ocpizza.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const };
const link = 'https://ocpizza.example/track/tok_abcdefghijklmnopqrstuv';

describe('the handover message', () => {
  it('asks a delivery to rate the food and the delivery, with the tracking link, in French and English', () => {
    const fr = composeMessages(order(), 'delivered', ctx).email!;
    expect(fr.text).toContain(`Notez le repas et la livraison en quelques secondes\u00a0: ${link}\n`);
    expect(fr.text).toContain(`${link}/receipt`);
    expect(fr.html).toContain(`<a href="${link}">${link}</a>`);
    const en = composeMessages(order({ lang: 'en' }), 'delivered', ctx).email!;
    expect(en.text).toContain(`Rate the food and the delivery in a few seconds: ${link}\n`);
  });

  it('asks a pickup to rate its order', () => {
    const m = composeMessages(order({ status: 'collected', fulfilment: 'pickup' }), 'collected', ctx);
    expect(m.email!.text).toContain(`Notez-la en quelques secondes\u00a0: ${link}\n`);
    // the handover goes by email only, as before: no text message asks for a rating
    expect(m.sms).toBeNull();
  });
});
