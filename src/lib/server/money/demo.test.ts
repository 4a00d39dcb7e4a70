// The demo payment page's card, read from what a customer types: every odd thing in any field is a
// refusal naming that field (a 422 the page shows beside it), never a failure of the server.
import { describe, expect, it } from 'vitest';
import { AppError } from '../kernel/errors.ts';
import { DEMO_CARDS, parseDemoCard } from './demo.ts';

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
