import { describe, expect, it } from 'vitest';
import type { OrderView } from '../shapes/views.ts';
import { OrderLedger } from './order-ledger.ts';

const order = (id: string, version: number, status: OrderView['status'] = 'received') => ({ id, version, status }) as OrderView;

describe('the order ledger the boards read', () => {
  it('says when an order is new, and keeps the newest version of each', () => {
    const ledger = new OrderLedger([order('a', 1)]);
    expect(ledger.apply(order('b', 1))).toBe(true);
    expect(ledger.apply(order('a', 2, 'preparing'))).toBe(false);
    expect(ledger.list.map((o) => [o.id, o.version, o.status])).toEqual([['a', 2, 'preparing'], ['b', 1, 'received']]);
  });

  it('keeps an older or repeated snapshot from undoing a newer one (events may repeat or cross)', () => {
    const ledger = new OrderLedger([order('a', 3, 'ready')]);
    expect(ledger.apply(order('a', 2, 'preparing'))).toBe(false);
    expect(ledger.apply(order('a', 3, 'preparing'))).toBe(false);
    expect(ledger.list[0].status).toBe('ready');
  });
});
