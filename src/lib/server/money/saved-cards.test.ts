// A card saved for a hold placed later, as the system reads Stripe's word on it, and what the
// customer reads when the bank refuses that hold.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS } from '../../domain/eta.ts';
import { composeMessages } from '../messages/notifications.ts';
import { noticeFromStripe } from './stripe.ts';

const setup = (over: Record<string, unknown> = {}) => ({
  id: 'seti_1',
  object: 'setup_intent',
  status: 'succeeded',
  usage: 'off_session',
  customer: 'cus_1',
  payment_method: 'pm_1',
  metadata: { order_id: '2b8f3f5e-1c8a-4c39-9d3f-3f1f1f1f1f1f' },
  ...over,
});

describe('a card saved, as Stripe tells it', () => {
  it('a setup that succeeded is a card saved, with its payment method and customer (ids, or expanded objects)', () => {
    expect(noticeFromStripe({ id: 'evt_1', type: 'setup_intent.succeeded', data: { object: setup() } })).toMatchObject({
      kind: 'card_saved', paymentId: 'seti_1', orderId: '2b8f3f5e-1c8a-4c39-9d3f-3f1f1f1f1f1f', savedCard: { paymentMethod: 'pm_1', customer: 'cus_1' }, heldCents: 0,
    });
    const expanded = setup({ payment_method: { id: 'pm_2', object: 'payment_method' }, customer: { id: 'cus_2', object: 'customer' } });
    expect(noticeFromStripe({ id: 'evt_2', type: 'setup_intent.succeeded', data: { object: expanded } }).savedCard).toEqual({ paymentMethod: 'pm_2', customer: 'cus_2' });
  });

  it('a setup that failed, or one without a card, changes nothing', () => {
    expect(noticeFromStripe({ id: 'evt_3', type: 'setup_intent.setup_failed', data: { object: setup({ status: 'requires_payment_method', payment_method: null }) } }).kind).toBe('other');
    expect(noticeFromStripe({ id: 'evt_4', type: 'setup_intent.succeeded', data: { object: setup({ payment_method: null }) } }).kind).toBe('other');
  });
});

describe('the hold refused, as the customer reads it', () => {
  const order = {
    number: 12, name: 'Inès', email: 'ines@example.test', phone: '06 11 22 33 44', token: 'tok', status: 'received', fulfilment: 'pickup',
    totalCents: 2450, paidCents: 0, refundedCents: 0, refundDueCents: 0, captured: false, shop: 'OC Pizza Bastille', from: null, to: null, client: null,
    payBy: new Date('2026-11-30T06:00:00Z'),
  };
  const ctx = { origin: 'https://pizza.example', eta: DEFAULT_ETA_SETTINGS, mode: 'scooter' as const };

  it('by email and text, in their language, with the payment page and the deadline', () => {
    const fr = composeMessages({ ...order, lang: 'fr' }, 'hold-failed', ctx);
    expect(fr.email!.text).toContain('https://pizza.example/track/tok/pay');
    expect(fr.email!.text).toMatch(/refusé/);
    expect(fr.email!.text).toMatch(/30 nov/);
    expect(fr.email!.html).toContain('<a href="https://pizza.example/track/tok/pay">');
    expect(fr.sms!.text).toContain('https://pizza.example/track/tok/pay');
    const en = composeMessages({ ...order, lang: 'en' }, 'hold-failed', ctx);
    expect(en.email!.subject).toBe('Order no. 12: your bank refused the card hold');
    expect(en.sms!.text).toMatch(/Pay before .*07:00.* or it is cancelled/);
  });
});
