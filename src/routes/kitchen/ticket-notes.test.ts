import { describe, expect, it } from 'vitest';
import { CANCELLED_SHOWN_MS, describeChanges, itemChanges, stillShown } from './ticket-notes.ts';

const item = (productId: number, name: string, quantity: number) => ({ productId, name, category: 'pizza' as const, quantity, unitPriceCents: 1000 });

describe('what the customer changed on a ticket', () => {
  it('says what was added and what was taken away', () => {
    const before = [item(1, 'Margherita', 1), item(2, 'Reine', 2)];
    const after = [item(1, 'Margherita', 2), item(2, 'Reine', 1)];
    expect(describeChanges(itemChanges(before, after))).toBe('+1 Margherita, \u22121 Reine');
  });

  it('names a new line and a removed line', () => {
    const changes = itemChanges([item(1, 'Margherita', 1), item(3, 'Coca-Cola', 2)], [item(1, 'Margherita', 1), item(4, 'Tiramisu', 1)]);
    expect(changes).toEqual([
      { productId: 4, name: 'Tiramisu', delta: 1 },
      { productId: 3, name: 'Coca-Cola', delta: -2 },
    ]);
  });

  it('adds repeated lines of one product up, and sees no change when the basket ends the same', () => {
    expect(itemChanges([item(1, 'Margherita', 1), item(1, 'Margherita', 1)], [item(1, 'Margherita', 2)])).toEqual([]);
    expect(describeChanges([])).toBe('');
  });
});

describe('how long a note stays', () => {
  it('keeps a cancelled ticket for two minutes', () => {
    expect(stillShown(0, CANCELLED_SHOWN_MS - 1, CANCELLED_SHOWN_MS)).toBe(true);
    expect(stillShown(0, CANCELLED_SHOWN_MS, CANCELLED_SHOWN_MS)).toBe(false);
  });
});
