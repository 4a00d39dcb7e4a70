// Online orders awaiting payment hold stock for the whole payment window. So that no one can take a
// shop's menu off sale with orders they never pay, what they may hold is bounded twice: per client
// (its address, its phone, its email: a few orders and items at once), and per shop (together, all
// unpaid orders hold at most a share of each ingredient; the rest stays for customers who pay on
// delivery, at the counter, or have paid).

export interface UnpaidLimits {
  /** Unpaid online orders one client address, phone or email may have at once. */
  ordersPerClient: number;
  /** Items those orders may hold together. */
  itemsPerClient: number;
  /** Share (0–1] of an ingredient, free plus held by unpaid orders, that unpaid orders may hold together. */
  stockShare: number;
}

/**
 * Whether a customer's order for later paid at the door, fired at `fireAt` (ms), counts as unpaid
 * now: it holds its stock from its placing to its firing, and a slot days ahead would let anyone hold
 * a menu for days with orders nobody collects. Once its fire time is within `aheadHours`, the kitchen
 * makes it soon: it counts no more than an order at the door for now.
 */
export function heldAhead(fireAt: number | null, now: number, aheadHours: number): boolean {
  return fireAt !== null && fireAt > now + aheadHours * 3_600_000;
}

/** What the unpaid orders of one client (one address, phone or email) hold now, this order left out. */
export interface ClientHolding {
  orders: number;
  items: number;
}

/**
 * Whether a new unpaid order of `items` items (or a change of one, `isNew` false) stays within the
 * client's allowance; the reason when it does not.
 */
export function clientMayHold(held: ClientHolding, items: number, limits: UnpaidLimits, isNew = true): { ok: true } | { ok: false; reason: 'orders' | 'items' } {
  if (isNew && held.orders + 1 > limits.ordersPerClient) return { ok: false, reason: 'orders' };
  if (held.items + items > limits.itemsPerClient) return { ok: false, reason: 'items' };
  return { ok: true };
}

/** A shop's ingredient as unpaid orders see it: free to sell, and held by unpaid orders (this one included). */
export interface UnpaidLevel {
  ingredientId: number;
  free: number;
  heldUnpaid: number;
  /** What this order holds of it (counted in `heldUnpaid`). */
  heldByThis: number;
}

/**
 * The ingredients whose unpaid holds went past the share of what is not promised to paid orders.
 * An order that is the only unpaid one holding an ingredient always may (else the last unit of an
 * ingredient, or a shop's small stock, could never be sold online): the share bounds what unpaid
 * orders hold together once there are others.
 */
export function overUnpaidShare(levels: readonly UnpaidLevel[], share: number): number[] {
  return levels
    .filter((l) => l.heldUnpaid > l.heldByThis && l.heldUnpaid > Math.floor(share * (l.free + l.heldUnpaid)))
    .map((l) => l.ingredientId);
}

// ---------- who a client is, as the limits count them ----------

/**
 * The email as the limits count it: lower-cased, without a `+tag` in its local part (the same
 * mailbox under another name). Orders carry it as email_key (db/migrations/0032), written when placed.
 */
export function contactEmail(email: string): string {
  const e = email.trim().toLowerCase();
  const at = e.lastIndexOf('@');
  if (at < 0) return e;
  const plus = e.indexOf('+');
  return plus >= 0 && plus < at ? e.slice(0, plus) + e.slice(at) : e;
}

/**
 * The client's address as the limits count it: an IPv4 address itself; an IPv6 address by its /64
 * (what one subscriber gets, and rotates its addresses within), as a CIDR ("2001:db8:1:2::/64").
 * An IPv4 address mapped into IPv6 ("::ffff:198.51.100.7") is the IPv4 one. Null if not an address.
 */
export function clientNetwork(ip: string): string | null {
  const a = ip.trim().replace(/%.*$/, '').toLowerCase();
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (v4) return v4[1].split('.').every((n) => Number(n) <= 255) ? v4[1] : null;
  if (!a.includes(':')) return null;
  // an IPv4 tail is two groups
  const tail4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  const text = tail4 ? a.slice(0, tail4.index) + [0, 2].map((i) => ((Number(tail4[i + 1]) << 8) | Number(tail4[i + 2])).toString(16)).join(':') : a;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parts = (h: string) => (h ? h.split(':') : []);
  const head = parts(halves[0]);
  const rest = halves.length === 2 ? parts(halves[1]) : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

