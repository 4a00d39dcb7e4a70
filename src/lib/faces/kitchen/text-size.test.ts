import { describe, expect, it } from 'vitest';
import { columnsFor, passRowsFor, passSlotsFor, textSizeOf } from './text-size.ts';

describe("a kitchen tablet's text size", () => {
  it('is normal unless the tablet kept another', () => {
    expect(textSizeOf(null)).toBe('normal');
    expect(textSizeOf('xlarge')).toBe('xlarge');
    expect(textSizeOf('huge')).toBe('normal');
  });

  it('takes fewer columns as it grows: five, four, four on the wall tablet (1280 px), one on a phone', () => {
    expect((['normal', 'large', 'xlarge'] as const).map((s) => columnsFor(1268, s, 6))).toEqual([5, 4, 4]);
    expect(columnsFor(370, 'normal', 6)).toBe(1);
    expect(columnsFor(0, 'xlarge', 6)).toBe(1);
    expect(passSlotsFor(1150, 'normal', 6)).toBe(3);
    expect(passSlotsFor(1150, 'xlarge', 6)).toBe(2);
    expect(passSlotsFor(1030, 'normal', 6)).toBe(3);
    // the pass's own tablet: rows of ready orders, fewer as the text grows (112 px a row at the normal size)
    expect((['normal', 'large', 'xlarge'] as const).map((s) => passRowsFor(640, s, 6))).toEqual([5, 4, 4]);
    expect(passRowsFor(520, 'xlarge', 6)).toBe(3);
    expect(passRowsFor(0, 'normal', 6)).toBe(1);
  });
});
