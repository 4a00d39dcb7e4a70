import { describe, expect, it } from 'vitest';
import { dayOf, keepUnits, opensWhen } from './menu-text.ts';

describe('the storefront\'s words', () => {
  it('keeps a quantity on the line of its unit', () => {
    expect(keepUnits('Coca-Cola 33 cl')).toBe('Coca-Cola 33\u00a0cl');
    expect(keepUnits('Tiramisu 120 g, 2 cl de rhum')).toBe('Tiramisu 120\u00a0g, 2\u00a0cl de rhum');
    expect(keepUnits('Reine 4 fromages')).toBe('Reine 4 fromages');
  });

  it('says when a shop opens in Paris time', () => {
    // a Tuesday, 10:30 UTC in winter: 11:30 in Paris
    expect(opensWhen('fr', new Date('2025-01-14T10:30:00Z'))).toBe('mardi 11:30');
    expect(opensWhen('en', new Date('2025-01-14T10:30:00Z'))).toBe('Tuesday 11:30');
  });

  it('says the day of an order in Paris time', () => {
    // 23:30 UTC on the 10th is the 11th in Paris
    expect(dayOf('fr', '2025-03-10T23:30:00Z')).toBe('11 mars');
    expect(dayOf('en', '2025-03-10T23:30:00Z')).toBe('11 March');
  });
});
