import { describe, expect, it } from 'vitest';
import { expiryText, readCardExpiry, typedExpiry } from './card-expiry.ts';

// 27 November 2026: a card of 11/26 is still good this month, one of 10/26 is not
const NOW = new Date('2026-11-27T22:30:00Z');
const read = (typed: string) => readCardExpiry(typed, NOW);

describe('a card expiry as people type it', () => {
  it('reads "1230" from a phone keypad with no "/" the same as "12/30", "12 / 30", "12-30", "12.30" and "12/2030"', () => {
    for (const typed of ['1230', '12/30', '12 / 30', '12-30', '12.30', '12/2030', '122030', ' 12/30 ', '１２／３０']) {
      expect(read(typed), typed).toEqual({ month: 12, year: 2030 });
    }
    expect(read('1/31')).toEqual({ month: 1, year: 2031 });
    expect(read('0131')).toEqual({ month: 1, year: 2031 });
    expect(expiryText({ month: 1, year: 2031 })).toBe('01/31');
  });

  it('keeps a card good until the end of its month', () => {
    expect(read('11/26')).toEqual({ month: 11, year: 2026 });
    expect(read('1126')).toEqual({ month: 11, year: 2026 });
    expect(read('10/26')).toEqual({ refused: 'expired' });
    expect(read('12/25')).toEqual({ refused: 'expired' });
    expect(read('0120')).toEqual({ refused: 'expired' });
  });

  it('refuses what is not a month and a year, and a year further ahead than cards run', () => {
    for (const typed of ['', ' ', '12', '123', '12345', '13/30', '00/30', '0/30', '12/3', '12//30', 'ab/cd', 'december 30', '12/30/30', '１２／', '١٢/٣٠', '12/30🙂', '9'.repeat(200)]) {
      expect(read(typed), typed).toEqual({ refused: 'format' });
    }
    expect(read('12/99')).toEqual({ refused: 'too_far' });
    expect(read('12/2047')).toEqual({ refused: 'too_far' });
    expect(read('12/2046')).toEqual({ month: 12, year: 2046 });
  });
});

describe('the expiry as it is typed', () => {
  /** Each keystroke after the other, as the field would see them. */
  const typing = (keys: string) => [...keys].reduce((field, k) => typedExpiry(field + k, field), '');

  it('puts the "/" in after the month, from a keypad that has none', () => {
    expect(typing('1')).toBe('1');
    expect(typing('12')).toBe('12/');
    expect(typing('1234')).toBe('12/34');
    expect(typing('4')).toBe('04/');
    expect(typing('434')).toBe('04/34');
    expect(typing('122030')).toBe('12/2030');
    expect(typing('1/')).toBe('01/');
  });
  it('takes a pasted or filled date whole, whatever its marks', () => {
    expect(typedExpiry('1234', '')).toBe('12/34');
    expect(typedExpiry('12/34', '')).toBe('12/34');
    expect(typedExpiry('12 / 30', '')).toBe('12/30');
    expect(typedExpiry('12-30', '')).toBe('12/30');
    expect(typedExpiry('１２３０', '')).toBe('12/30');
    expect(typedExpiry('abc', '')).toBe('');
  });
  it('lets the customer delete: the "/" goes with one press, a digit with the next', () => {
    expect(typedExpiry('12', '12/')).toBe('12');
    expect(typedExpiry('1', '12')).toBe('1');
    expect(typedExpiry('12/3', '12/34')).toBe('12/3');
  });
  it('what it gives reads as the date typed', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    expect(readCardExpiry(typing('1230'), now)).toEqual({ month: 12, year: 2030 });
    expect(readCardExpiry(typing('0120'), now)).toEqual({ refused: 'expired' });
  });
});
