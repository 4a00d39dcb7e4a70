// What the storefront hands from one page to the next in this tab: the address the first card
// settled on (typed, or a saved one tapped), and a basket taken to a neighbour shop (its lines, who
// orders, where, how). Kept in sessionStorage (this tab only, gone with it), read once, and only
// within a few minutes: an old hand-off never fills a checkout the customer did not just leave.
import type { CallerLine } from '../../server/customers/callers.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { LineView } from '../../shared/checkout/checkout.ts';

/** An address handed to the checkout, with its spot when known. */
export interface HandedAddress {
  street: string;
  postcode: string;
  city: string;
  doorCode?: string | null;
  floor?: string | null;
  instructions?: string | null;
  lat?: number | null;
  lng?: number | null;
  /** The spot is the phone's own position (shared on the first card): the checkout keeps it as such, and asks the street only. */
  from?: 'device';
}

/** A basket taken from one shop to a neighbour: the neighbour's checkout takes it back on its own menu. */
export interface CarriedBasket {
  /** The shop it goes to (a basket meant for another shop is left alone). */
  to: number;
  /** The shop it comes from, named to the customer. */
  from: string;
  /** With what each cost there, to say so when the neighbour prices them otherwise. */
  lines: CallerLine[];
  fulfilment: Fulfilment;
  name: string;
  phone: string;
  email: string;
  address: HandedAddress | null;
}

export const HANDOFF = { address: 'ocp.where-chosen', basket: 'ocp.carried-basket' } as const;
/** A hand-off older than this is not taken. */
export const HANDOFF_MS = 10 * 60_000;

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
const store = (): Store | null => {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
};

export function handOver(key: string, value: unknown, now = Date.now(), s: Store | null = store()) {
  try {
    s?.setItem(key, JSON.stringify({ at: now, value }));
  } catch {
    /* storage full or refused: the next page starts as it would anyway */
  }
}

/** What was handed over under `key`, once (it is removed), if recent enough. */
export function takeOver<T>(key: string, now = Date.now(), s: Store | null = store()): T | null {
  try {
    const raw = s?.getItem(key) ?? null;
    s?.removeItem(key);
    if (!raw) return null;
    const { at, value } = JSON.parse(raw) as { at: number; value: T };
    return typeof at === 'number' && now - at >= 0 && now - at <= HANDOFF_MS ? value : null;
  } catch {
    return null;
  }
}

/** The basket's lines as the neighbour's checkout takes them back (named as this shop's menu names them). */
export const carriedLines = (views: readonly LineView[]): CallerLine[] =>
  views
    .filter((v) => !v.withdrawn && v.product)
    .map((v) => ({
      productId: v.line.productId,
      secondHalfId: v.line.secondHalfId ?? null,
      name: v.name,
      quantity: v.line.quantity,
      unitPriceCents: v.unitCents,
      options: v.chosen.map((o) => ({ id: o.id, kind: o.kind, name: o.name })),
    }));
