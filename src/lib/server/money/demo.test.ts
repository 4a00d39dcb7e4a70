// The demo payment page's card, read from what a customer types: every odd thing in any field is a
// refusal naming that field (a 422 the page shows beside it), never a failure of the server.
import { describe, expect, it } from 'vitest';
import { AppError } from '../kernel/errors.ts';
import { DEMO_CARDS, DemoPaymentProvider, demoVoucherEvent, parseDemoCard } from './demo.ts';
import { stripeWebhook } from './stripe.ts';

const good = { number: DEMO_CARDS.accepted, expiry: '12/34', cvc: '123' };

/** The fields a refusal names, or the card read. */
function read(card: Record<string, unknown>) {
  try {
    return { card: parseDemoCard(card) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { status: err.status, fields: Object.keys(err.details.fields ?? {}) };
  }
}

const ODD: [string, unknown][] = [
  ['empty', ''],
  ['spaces', '   '],
  ['letters', 'abcd'],
  ['too long', '4'.repeat(5000)],
  ['unicode', '١٢٣٤ 🙂 ñ'],
  ['a number, not text', 1234],
  ['nothing', null],
  ['a list', ['12', '30']],
];

describe('the card typed on the demo payment page', () => {
  it('takes an expiry typed on a numeric keypad, "1230", as "12/30", and "12 / 30" and "12-30" too', () => {
    for (const expiry of ['1230', '12/30', '12 / 30', '12-30', '１２３０']) {
      expect(read({ ...good, expiry }), expiry).toEqual({ card: { number: '4242424242424242', expiry: '12/30', cvc: '123' } });
    }
    expect(read({ ...good, number: '４２４２ ４２４２ ４２４２ ４２４２', cvc: ' 123 ' }).card).toMatchObject({ number: '4242424242424242', cvc: '123' });
  });

  it('refuses an expiry past, malformed or too far ahead as the expiry to correct', () => {
    for (const expiry of ['01/20', '0120', '13/30', '12/3', 'MM/YY', '12/99']) {
      expect(read({ ...good, expiry }), expiry).toEqual({ status: 422, fields: ['expiry'] });
    }
  });

  for (const field of ['number', 'expiry', 'cvc'] as const) {
    it(`refuses an odd ${field} (empty, letters, too long, unicode, not text) as the ${field} to correct, never as a failure`, () => {
      for (const [what, value] of ODD) {
        expect(read({ ...good, [field]: value }), `${field}: ${what}`).toEqual({ status: 422, fields: [field] });
      }
      const { [field]: _, ...without } = good;
      expect(read(without), `${field}: missing`).toEqual({ status: 422, fields: [field] });
    });
  }

  it('refuses a field it does not know, and a body that is not a card', () => {
    expect(read({ ...good, name: 'Camille' })).toEqual({ status: 422, fields: ['card'] });
    for (const body of [null, 'card', 42, []]) expect(read(body as never).status).toBe(422);
  });
});

describe("the demo's meal-voucher card", () => {
  const secret = 'whsec_demo_test';
  const part = { orderId: '00000000-0000-4000-8000-000000000001', attempt: 2, intentId: 'pi_demo_voucher_x', cents: 2500, state: 'waiting' };
  const notice = (number: string) => stripeWebhook(secret, 'demo').read(...signed(number));
  const signed = (number: string): [string, { 'stripe-signature': string }] => {
    const e = demoVoucherEvent(part, parseDemoCard({ ...good, number }), secret);
    return [e.payload, { 'stripe-signature': e.signature }];
  };
  const provider = new DemoPaymentProvider(async () => undefined);

  it("is held as Stripe's event says, its card the same for the same number and another for another", async () => {
    const a = notice('5555 5555 5555 4444');
    expect(a).toMatchObject({ kind: 'held', paymentId: 'pi_demo_voucher_x', orderId: part.orderId, attempt: 2, heldCents: 2500 });
    const fingerprint = (n: typeof a) => provider.cardFingerprint(n.paymentId!, n.voucher!.paymentMethod);
    expect(await fingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(await fingerprint(notice('5555555555554444'))).toBe(await fingerprint(a));
    expect(await fingerprint(notice(DEMO_CARDS.accepted))).not.toBe(await fingerprint(a));
  });

  it('is refused for a declined card, and for an order with no part waiting', () => {
    expect(notice(DEMO_CARDS.declined)).toMatchObject({ kind: 'refused', voucher: { paymentMethod: null } });
    expect(() => demoVoucherEvent({ ...part, state: 'held' }, parseDemoCard(good), secret)).toThrow(AppError);
    expect(() => demoVoucherEvent(null, parseDemoCard(good), secret)).toThrow(AppError);
  });
});
