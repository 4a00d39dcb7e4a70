// The text size a kitchen tablet reads at, chosen on the tablet and kept there (localStorage): normal
// fits the most tickets on the wall, large and very large read from further away and take fewer
// columns. Plain TypeScript: the screen gives its width.

export const TEXT_SIZES = ['normal', 'large', 'xlarge'] as const;
export type TextSize = (typeof TEXT_SIZES)[number];

/** How much larger than normal the tickets, the pass and the strips read at each size. */
export const SCALE: Record<TextSize, number> = { normal: 1, large: 1.18, xlarge: 1.36 };

/** The narrowest a column of tickets (and a ticket on the pass) may be at the normal size, px. */
const COLUMN_PX = 228;
const PASS_PX = 320;
/** The height of a row of ready orders on the pass's own tablet at the normal size, px. */
const PASS_ROW_PX = 112;

/** The size kept on the tablet (anything unknown reads as normal). */
export const textSizeOf = (kept: string | null | undefined): TextSize => (TEXT_SIZES as readonly string[]).find((s) => s === kept) as TextSize | undefined ?? 'normal';

/** How many columns of tickets a make line `width` px wide shows at this size (one at least). */
export const columnsFor = (width: number, size: TextSize, gap: number): number => Math.max(1, Math.floor((width + gap) / (COLUMN_PX * SCALE[size] + gap)));

/** How many tickets the pass shows side by side in `width` px at this size (one at least). */
export const passSlotsFor = (width: number, size: TextSize, gap: number): number => Math.max(1, Math.floor((width + gap) / (PASS_PX * SCALE[size] + gap)));

/** How many rows of ready orders the pass's own tablet shows in `height` px at this size (one at least). */
export const passRowsFor = (height: number, size: TextSize, gap: number): number => Math.max(1, Math.floor((height + gap) / (PASS_ROW_PX * SCALE[size] + gap)));
