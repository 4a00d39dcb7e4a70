// The chain as one kitchen: the other shop the storefront offers for a spot instead of the one the
// customer has (the first card's, or the checkout's), from what every shop says of that spot
// (src/lib/server/flows/shops-for-spot.ts). Pure, so the first card and the checkout offer the same one.

/** A shop as seen from a spot: enough to judge whether it can take the order now. */
export interface ShopAtSpot {
  id: number;
  /** Its zone holds the spot. */
  delivers: boolean;
  open: boolean;
  /** Its online orders paused (a rush). */
  paused: boolean;
  /** What it would promise now, in minutes (null: it does not deliver there). */
  promiseMinutes: number | null;
}

/**
 * Why a neighbour is offered: the shop does not deliver to the spot, its online orders are paused,
 * it is closed, or it delivers but cannot promise it soon tonight while the neighbour can do much
 * better (a quarter of an hour sooner, and two thirds of the time at most).
 */
export type NeighbourReason = 'not_here' | 'paused' | 'closed' | 'faster';

/** How much sooner a neighbour must be to be offered instead of a shop that can take the order. */
export const FASTER_BY_MINUTES = 15;
export const FASTER_SHARE = 2 / 3;

/**
 * The neighbour to offer instead of shop `mineId` for this spot, or null. `shops` in the order the
 * server gives them (those that deliver there first, open first, nearest first): among the shops
 * that can take the order now (deliver there, open, not paused), the first for a shop that does not
 * deliver there, else the one with the soonest promise.
 */
export function neighbourOffer<S extends ShopAtSpot>(shops: readonly S[], mineId: number): { shop: S; reason: NeighbourReason } | null {
  const takers = shops.filter((s) => s.id !== mineId && s.delivers && s.open && !s.paused);
  if (!takers.length) return null;
  const mine = shops.find((s) => s.id === mineId);
  if (!mine?.delivers) return { shop: takers[0], reason: 'not_here' };
  const soonest = takers
    .filter((s) => s.promiseMinutes !== null)
    .reduce<S | null>((best, s) => (!best || s.promiseMinutes! < best.promiseMinutes! ? s : best), null);
  if (!soonest) return null;
  if (mine.paused) return { shop: soonest, reason: 'paused' };
  if (!mine.open) return { shop: soonest, reason: 'closed' };
  const minutes = mine.promiseMinutes;
  if (minutes === null) return null;
  const much = soonest.promiseMinutes! <= minutes - FASTER_BY_MINUTES && soonest.promiseMinutes! <= minutes * FASTER_SHARE;
  return much ? { shop: soonest, reason: 'faster' } : null;
}
