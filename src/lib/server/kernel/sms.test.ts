// A phone number is counted (orders, messages) however it was typed.
import { describe, expect, it } from 'vitest';
import { e164 } from './sms.ts';

describe('one phone, however typed', () => {
  it('+33, (0), 0033 and the national 0 are one number', () => {
    for (const p of ['06 12 34 56 78', '+33 6 12 34 56 78', '+33 (0)6 12 34 56 78', '+33 06 12 34 56 78', '0033 6 12 34 56 78', '06.12.34.56.78']) {
      expect(e164(p), p).toBe('+33612345678');
    }
    expect(e164('+44 20 7946 0958')).toBe('+442079460958');
  });
});
