import { describe, expect, it } from 'vitest';
import { canonicalPhone, phoneKey } from './phone.ts';

describe('one phone, however typed', () => {
  it('the national 0, +33, (0), 0033, dots and spaces are one number', () => {
    for (const p of ['06 12 34 56 78', '0612345678', '+33 6 12 34 56 78', '+33 (0)6 12 34 56 78', '+33 06 12 34 56 78', '0033 6 12 34 56 78', '06.12.34.56.78', '06-12-34-56-78']) {
      expect(canonicalPhone(p), p).toBe('+33612345678');
      expect(phoneKey(p), p).toBe('+33612345678');
    }
    expect(canonicalPhone('+44 20 7946 0958')).toBe('+442079460958');
  });

  it('an overseas department number is under its own country code, whichever way it was typed', () => {
    for (const p of ['0690 12 34 56', '+33 6 90 12 34 56', '+590 690 12 34 56', '00590690123456']) expect(phoneKey(p), p).toBe('+590690123456');
    expect(phoneKey('0692 11 22 33')).toBe('+262692112233');
    expect(phoneKey('0639 11 22 33')).toBe('+262639112233');
    expect(phoneKey('0596 11 22 33')).toBe('+596596112233');
    expect(phoneKey('0694 11 22 33')).toBe('+594694112233');
  });

  it('is no key while not a whole number', () => {
    for (const p of ['06 12 34 56', '+33 6 12 34 56 78 9', 'abc', '', '+0 612345678', '+590 690 12 34']) expect(phoneKey(p), p).toBeNull();
  });
});
