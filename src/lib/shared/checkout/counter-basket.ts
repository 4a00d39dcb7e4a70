// The counter's basket, as plain functions the page and its tests share: a caller's last order
// brought back onto tonight's menu ("same as last time"), and a phone number complete enough to look
// its caller up while it is typed.
import type { MenuProduct } from '../../server/shops/catalogue.ts';
import type { CallerLine } from '../../server/customers/callers.ts';
import type { BasketLine } from './checkout.ts';

/** What an availability read says of a product on the shop's menu now. */
export interface Availability {
  available: boolean;
  unavailableOptions: readonly number[];
}

/**
 * The last order's lines that can be ordered here tonight, and those that cannot (not on this shop's
 * menu, sold out, or one of their options gone), said by name.
 */
export function reorderLines(
  lines: readonly CallerLine[],
  menu: readonly MenuProduct[],
  availability: (id: number) => Availability | undefined,
  uid: () => number,
): { lines: BasketLine[]; missing: { name: string; quantity: number }[] } {
  const byId = new Map(menu.map((p) => [p.id, p]));
  const ok: BasketLine[] = [];
  const missing: { name: string; quantity: number }[] = [];
  for (const l of lines) {
    const product = byId.get(l.productId);
    const a = availability(l.productId);
    const options = l.options.map((o) => o.id);
    const optionsThere = product && options.every((id) => product.options.some((o) => o.id === id) && !a?.unavailableOptions.includes(id));
    // a half-and-half comes back as one, while both its halves can be made
    const secondThere = l.secondHalfId === null || (byId.has(l.secondHalfId) && !!availability(l.secondHalfId)?.available);
    if (!product || !a?.available || !optionsThere || !secondThere) {
      missing.push({ name: [l.name, ...l.options.map((o) => o.name)].join(', '), quantity: l.quantity });
      continue;
    }
    ok.push({
      uid: uid(), productId: l.productId, ...(l.secondHalfId !== null ? { secondHalfId: l.secondHalfId } : {}),
      options: [...options].sort((x, y) => x - y), quantity: l.quantity,
    });
  }
  return { lines: ok, missing };
}

/**
 * Whether a number is whole enough to look up while it is typed: a French one of 10 digits (06…,
 * +33 6…, 0033 6…, +33 (0)6…). A number from abroad is looked up when the field is left or Enter.
 */
export function completeFrenchNumber(phone: string): boolean {
  const d = phone.replace(/\(0\)/g, '').replace(/[^\d+]/g, '');
  return /^0[1-9]\d{8}$/.test(d) || /^(\+|00)330?[1-9]\d{8}$/.test(d);
}

/** Anything that may be a whole number: 8 to 15 digits after an optional + or 00. */
export const mayBeNumber = (phone: string) => /^\+?[\d]{8,16}$/.test(phone.replace(/\(0\)/g, '').replace(/[^\d+]/g, ''));
