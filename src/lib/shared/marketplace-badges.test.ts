import { describe, expect, it } from 'vitest';
import { badgeOf, badgeText, platformName } from './marketplace-badges.ts';

/** WCAG contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('marketplace badges', () => {
  it('names each platform the shop works with, in its own colours', () => {
    expect(badgeOf('uber_eats')).toMatchObject({ label: 'Uber Eats', short: 'UE', background: '#000000' });
    expect(badgeOf('uber_eats').accent).toBe('#06c167');
    expect(badgeOf('deliveroo')).toMatchObject({ label: 'Deliveroo', short: 'DR', background: '#00ccbc' });
    expect(platformName('deliveroo')).toBe('Deliveroo');
    expect(badgeOf('just_eat')).toMatchObject({ label: 'Just Eat', short: 'JE', background: '#ff8000' });
  });

  it('shows the id of a platform it does not know rather than nothing', () => {
    expect(badgeOf('glovo')).toMatchObject({ label: 'glovo', short: 'glovo' });
    expect(badgeText({ id: 'glovo', code: '77' })).toBe('glovo · 77');
  });

  it("reads the platform's mark and the order's code there, or the mark alone", () => {
    expect(badgeText({ id: 'uber_eats', code: 'A1B2C' })).toBe('UE · A1B2C');
    expect(badgeText({ id: 'deliveroo', code: ' 4812 ' })).toBe('DR · 4812');
    expect(badgeText({ id: 'uber_eats', code: null })).toBe('UE');
    expect(badgeText({ id: 'uber_eats', code: '' })).toBe('UE');
    expect(badgeText({ id: 'uber_eats', code: 'A1B2C' }, true)).toBe('Uber Eats · A1B2C');
  });

  it('keeps every badge readable from across a kitchen (contrast 7:1 at least)', () => {
    for (const id of ['uber_eats', 'deliveroo', 'just_eat', 'unknown_one']) {
      const b = badgeOf(id);
      expect(contrast(b.background, b.color), id).toBeGreaterThanOrEqual(7);
      expect(contrast(b.background, b.accent), id).toBeGreaterThanOrEqual(7);
    }
  });
});
