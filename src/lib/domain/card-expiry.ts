// A card's expiry date as people type it. A phone's numeric keypad (which the payment page opens) has
// no "/": "1230" is as good as "12/30"; so are "12 / 30", "12-30", "12.30", "12/2030" and full-width
// digits. Pure: the payment page reads the server's refusal with it, the server checks with it.

export type CardExpiry = { month: number; year: number };
/** Why a typed expiry is refused: not a date of the card's shape, already past, or further ahead than any card runs. */
export type ExpiryRefusal = 'format' | 'expired' | 'too_far';

/** Cards are issued for a few years: a date further ahead is a typing mistake. */
const MAX_YEARS_AHEAD = 20;

/** The month and full year of a typed expiry, or why it is refused (a card is good until the end of its month). */
export function readCardExpiry(typed: string, now: Date = new Date()): CardExpiry | { refused: ExpiryRefusal } {
  // full-width digits and slashes (some phone keyboards) read as plain ones; spaces anywhere are ignored
  const text = typed.normalize('NFKC').replace(/\s+/g, '');
  const m = /^(\d{1,2})[/\-.](\d{2}|\d{4})$/.exec(text) ?? /^(\d{2})(\d{2}|\d{4})$/.exec(text);
  if (!m) return { refused: 'format' };
  const month = Number(m[1]);
  if (month < 1 || month > 12) return { refused: 'format' };
  const year = m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  const thisYear = now.getUTCFullYear();
  if (year < thisYear || (year === thisYear && month < now.getUTCMonth() + 1)) return { refused: 'expired' };
  if (year > thisYear + MAX_YEARS_AHEAD) return { refused: 'too_far' };
  return { month, year };
}

/** "MM/YY", as cards print it. */
export const expiryText = (e: CardExpiry) => `${String(e.month).padStart(2, '0')}/${String(e.year % 100).padStart(2, '0')}`;

/**
 * The expiry field as the customer types it, the "/" put in for them (a phone's numeric keypad has
 * none): "1" then "12" gives "12/", then "12/3", "12/34"; a month that can only be one digit, "4",
 * gives "04/"; six digits, "122030", a four-digit year, "12/2030". Deleting is left alone: the "/"
 * just put in goes with one press, and the digit before it with the next. `before`: the field's value
 * before this keystroke (or paste).
 */
export function typedExpiry(typed: string, before: string): string {
  const digits = typed.normalize('NFKC').replace(/\D/g, '').slice(0, 6);
  const deleting = typed.length < before.length;
  if (deleting) return typed.normalize('NFKC').replace(/[^\d/]/g, '').slice(0, 7);
  if (digits.length === 1) return Number(digits) > 1 || /^\d\//.test(typed.normalize('NFKC').trim()) ? `0${digits}/` : digits;
  if (!digits.length) return '';
  return `${digits.slice(0, 2)}/${digits.slice(2)}`;
}
