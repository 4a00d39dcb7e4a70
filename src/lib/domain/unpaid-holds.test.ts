import { describe, expect, it } from 'vitest';
import { clientMayHold, clientNetwork, contactEmail, heldAhead, overUnpaidShare } from './unpaid-holds.ts';

const limits = { ordersPerClient: 2, itemsPerClient: 20, stockShare: 0.5 };

describe('what unpaid orders may hold', () => {
  it('a client may have two unpaid orders of 20 items in all; a third order, or a 21st item, is refused', () => {
    expect(clientMayHold({ orders: 0, items: 0 }, 20, limits)).toEqual({ ok: true });
    expect(clientMayHold({ orders: 1, items: 10 }, 10, limits)).toEqual({ ok: true });
    expect(clientMayHold({ orders: 2, items: 2 }, 1, limits)).toEqual({ ok: false, reason: 'orders' });
    expect(clientMayHold({ orders: 1, items: 10 }, 11, limits)).toEqual({ ok: false, reason: 'items' });
    expect(clientMayHold({ orders: 0, items: 0 }, 50, limits)).toEqual({ ok: false, reason: 'items' });
  });

  it('an order for later paid at the door counts as unpaid while its fire time is more than the hours ahead away', () => {
    const now = Date.UTC(2025, 5, 1, 12);
    const hour = 3_600_000;
    expect(heldAhead(now + 6 * 24 * hour, now, 3)).toBe(true);
    expect(heldAhead(now + 3 * hour + 1, now, 3)).toBe(true);
    expect(heldAhead(now + 3 * hour, now, 3)).toBe(false);
    expect(heldAhead(now + hour, now, 3)).toBe(false);
    // as soon as possible: fired at once
    expect(heldAhead(null, now, 3)).toBe(false);
  });

  it('a change of an unpaid order counts its new items, not one more order', () => {
    expect(clientMayHold({ orders: 2, items: 5 }, 15, limits, false)).toEqual({ ok: true });
    expect(clientMayHold({ orders: 2, items: 5 }, 16, limits, false)).toEqual({ ok: false, reason: 'items' });
  });

  it('unpaid orders together hold at most half of what paid orders have not taken: of 60 doughs, 30', () => {
    expect(overUnpaidShare([{ ingredientId: 1, free: 30, heldUnpaid: 30, heldByThis: 10 }], 0.5)).toEqual([]);
    expect(overUnpaidShare([{ ingredientId: 1, free: 20, heldUnpaid: 40, heldByThis: 10 }, { ingredientId: 2, free: 900, heldUnpaid: 100, heldByThis: 10 }], 0.5)).toEqual([1]);
    // with 3 left and one unpaid order holding 1, another may not take 1 more
    expect(overUnpaidShare([{ ingredientId: 1, free: 1, heldUnpaid: 2, heldByThis: 1 }], 0.5)).toEqual([1]);
    expect(overUnpaidShare([{ ingredientId: 1, free: 0, heldUnpaid: 60, heldByThis: 1 }], 1)).toEqual([]);
  });

  it('an unpaid order alone holding an ingredient may have it, down to its last unit', () => {
    expect(overUnpaidShare([{ ingredientId: 1, free: 0, heldUnpaid: 1, heldByThis: 1 }], 0.5)).toEqual([]);
    expect(overUnpaidShare([{ ingredientId: 1, free: 1, heldUnpaid: 2, heldByThis: 2 }], 0.5)).toEqual([]);
  });
});

describe('one client, however spelt', () => {
  it('an email: capitals and a +tag are the same mailbox', () => {
    expect(contactEmail('Victim+1@Example.TEST')).toBe('victim@example.test');
    expect(contactEmail(' victim@example.test ')).toBe('victim@example.test');
    expect(contactEmail('a+b+c@x.test')).toBe('a@x.test');
  });

  it('an address: IPv4 itself, IPv6 by its /64, IPv4 mapped into IPv6 as IPv4', () => {
    expect(clientNetwork('198.51.100.7')).toBe('198.51.100.7');
    expect(clientNetwork('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientNetwork('64:ff9b::198.51.100.7')).toBe('64:ff9b:0:0::/64');
    expect(clientNetwork('not an address')).toBeNull();
    expect(clientNetwork('1:2:3:4:5:6:7:8:9')).toBeNull();
  });
});
