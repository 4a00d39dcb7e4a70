// The delivery platforms' rules, whatever the platform: how our menu ids read, what a platform
// order waits for (a mapping, a manager) or why it is denied, what a kitchen step tells the
// platform, and the prices and commission of a platform order. Pure; the services carry them out
// (src/lib/server/marketplaces/).
import { isIn, type OrderStatus } from './order-states.ts';
import { MARKETPLACE_STEPS, type MarketplaceStep } from './marketplace-steps.ts';

/** A platform order's states (marketplace_orders.state), and those still waiting for a decision. */
export const MARKETPLACE_ORDER_STATES = ['received', 'needs_mapping', 'awaiting_manager', 'accepted', 'denied', 'cancelled', 'expired'] as const;
export type MarketplaceOrderState = (typeof MARKETPLACE_ORDER_STATES)[number];
export const WAITING_MARKETPLACE_STATES = ['received', 'needs_mapping', 'awaiting_manager'] as const satisfies readonly MarketplaceOrderState[];
/** Waiting for a person: the manager's alert shows it with its countdown. */
export const MANAGER_MARKETPLACE_STATES = ['needs_mapping', 'awaiting_manager'] as const satisfies readonly MarketplaceOrderState[];

/** Our ids in the menu we push: a product `p12`, an option `o34`. */
export const menuId = { product: (id: number) => `p${id}`, option: (id: number) => `o${id}` };

/** What one of our menu ids names, or null (a platform's own id: looked up in marketplace_items). */
export function parseMenuId(id: string): { kind: 'product' | 'option'; id: number } | null {
  const m = /^([po])([1-9][0-9]{0,9})$/.exec(id);
  if (!m || Number(m[2]) > 2_147_483_647) return null;
  return { kind: m[1] === 'p' ? 'product' : 'option', id: Number(m[2]) };
}

/** Why a platform order is not on the make line yet, or was denied. */
export type IntakeProblem =
  | { kind: 'unmapped'; externalId: string; name: string }
  | { kind: 'paused' }
  | { kind: 'closed' }
  | { kind: 'unavailable'; productIds: number[] }
  | { kind: 'too_late'; readyAt: string; wantedBy: string }
  | { kind: 'manual' }
  | { kind: 'refused'; message: string }
  /** The platform refused our accept (its HTTP status): a store not activated for us, an order it closed. */
  | { kind: 'platform_refused'; platform: string; status: number }
  /** A line (by its name) or the total (name null) at zero or below. */
  | { kind: 'amount'; name: string | null; cents: number }
  /** A line's price too far from ours on that platform (PRICE_MARGIN_PCT). */
  | { kind: 'price'; name: string; paidCents: number; expectedCents: number };

/** What the intake does with a platform order. */
export type IntakeDecision =
  | { kind: 'needs_mapping'; problems: IntakeProblem[] }
  | { kind: 'deny'; reason: 'store_closed' | 'store_busy' | 'item_unavailable'; explanation: string; problems: IntakeProblem[] }
  | { kind: 'await'; problems: IntakeProblem[] }
  | { kind: 'accept'; readyAt: Date };

export interface IntakeFacts {
  unmapped: { externalId: string; name: string }[];
  onlinePaused: boolean;
  openNow: boolean;
  /** Products of the order the shop cannot make now (off tonight, short of stock). */
  unavailable: number[];
  autoAccept: boolean;
  /** When our kitchen would have it ready, by the rules our own orders are promised by (ms). */
  readyAt: number;
  /** When the platform wants it ready (ms), if it said. */
  wantedBy: number | null;
  /** What is wrong with its money (moneyProblems): it waits for the manager, never booked as sent. */
  money?: IntakeProblem[];
}

/** The platform's time is kept when the kitchen makes it within this much of it. */
export const READY_GRACE_MS = 2 * 60_000;

/**
 * An unmapped line waits for the manager (never dropped); a paused or closed shop, or an item out,
 * denies it with its reason; a price far from ours or an amount at zero or below waits for the
 * manager; otherwise it is accepted when the store accepts by itself and the
 * kitchen can have it ready by the platform's time, else it waits for the manager.
 */
export function decideIntake(f: IntakeFacts): IntakeDecision {
  if (f.unmapped.length) return { kind: 'needs_mapping', problems: f.unmapped.map((u) => ({ kind: 'unmapped', ...u })) };
  if (!f.openNow) return { kind: 'deny', reason: 'store_closed', explanation: 'the shop is closed', problems: [{ kind: 'closed' }] };
  if (f.onlinePaused) return { kind: 'deny', reason: 'store_busy', explanation: 'the shop has paused its online orders', problems: [{ kind: 'paused' }] };
  if (f.unavailable.length) {
    return { kind: 'deny', reason: 'item_unavailable', explanation: 'an item is sold out', problems: [{ kind: 'unavailable', productIds: [...f.unavailable] }] };
  }
  if (f.money?.length) return { kind: 'await', problems: [...f.money] };
  const readyAt = Math.max(f.readyAt, f.wantedBy ?? 0);
  if (!f.autoAccept) return { kind: 'await', problems: [{ kind: 'manual' }] };
  if (f.wantedBy !== null && f.readyAt > f.wantedBy + READY_GRACE_MS) {
    return { kind: 'await', problems: [{ kind: 'too_late', readyAt: new Date(f.readyAt).toISOString(), wantedBy: new Date(f.wantedBy).toISOString() }] };
  }
  return { kind: 'accept', readyAt: new Date(readyAt) };
}

/**
 * How far a platform's price of a line may be from ours on that platform (our price with the
 * store's markup, or the product's own platform price, and its options') before the manager looks:
 * one margin for the chain, a constant here (a per-store setting when a shop needs its own).
 */
export const PRICE_MARGIN_PCT = 30;

/** A mapped line's price: what the customer paid the platform for one, and ours there for the same. */
export interface LinePrice {
  name: string;
  paidCents: number;
  expectedCents: number;
}

/** What is wrong with a platform order's money: a line, an option or the total at zero or below, a line's price beyond the margin. */
export function moneyProblems(
  order: { totalCents: number; lines: readonly { name: string; unitPriceCents: number; options: readonly { priceCents: number }[] }[] },
  prices: readonly LinePrice[],
): IntakeProblem[] {
  const problems: IntakeProblem[] = [];
  for (const l of order.lines) {
    const lowest = Math.min(l.unitPriceCents, ...l.options.map((o) => (o.priceCents < 0 ? o.priceCents : Infinity)));
    if (l.unitPriceCents <= 0 || lowest < 0) problems.push({ kind: 'amount', name: l.name, cents: lowest });
  }
  if (order.totalCents <= 0) problems.push({ kind: 'amount', name: null, cents: order.totalCents });
  for (const p of prices) {
    if (p.paidCents > 0 && Math.abs(p.paidCents - p.expectedCents) * 100 > PRICE_MARGIN_PCT * p.expectedCents) problems.push({ kind: 'price', ...p });
  }
  return problems;
}

/** A problem with the order's money (moneyProblems): the manager's alert says to check its prices. */
export const isMoneyProblem = (p: { kind: string }) => p.kind === 'price' || p.kind === 'amount';

/** A platform order still waiting past the platform's deadline is let expire (the platform cancels it itself). */
export const expired = (acceptBy: string | Date | null, now: number) => acceptBy !== null && new Date(acceptBy).getTime() <= now;

/** The step a platform hears of when its order reaches this status; null: none. */
export function stepOfStatus(status: OrderStatus): MarketplaceStep | null {
  return isIn(MARKETPLACE_STEPS, status) ? (status as MarketplaceStep) : null;
}

/** A product's price on a platform: its own there, else ours plus the store's markup (to the cent). */
export const platformPrice = (ourCents: number, markupPct: number, ownCents: number | null) => ownCents ?? Math.round(ourCents * (1 + markupPct / 100));

/** What the platform keeps of an order's total, by the store's rate, until its report says. */
export const commissionOf = (totalCents: number, pct: number) => Math.round((totalCents * pct) / 100);

/**
 * Each platform line's unit price, put on our merged lines (the same product and options twice is
 * one line of ours): per key, what the customer paid for them over their quantity.
 */
export function unitPricesByKey(lines: readonly { key: string; quantity: number; unitPriceCents: number }[]): Map<string, number> {
  const sums = new Map<string, { cents: number; quantity: number }>();
  for (const l of lines) {
    const s = sums.get(l.key) ?? { cents: 0, quantity: 0 };
    s.cents += l.unitPriceCents * l.quantity;
    s.quantity += l.quantity;
    sums.set(l.key, s);
  }
  return new Map([...sums].map(([k, s]) => [k, Math.round(s.cents / s.quantity)]));
}

/** The key of a line by its product and options (as pricing merges them). */
export const lineKey = (productId: number, optionIds: readonly number[]) => `${productId}:${[...new Set(optionIds)].sort((a, b) => a - b).join(',')}`;

/** A provider's error that retrying cannot mend: a 4xx other than a timeout or a rate limit. */
export function permanentProviderError(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = Number(e?.status ?? e?.statusCode);
  return Number.isInteger(status) && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/** States as a SQL list (the named sets above, never typed in a query). */
export const sqlStates = (states: readonly MarketplaceOrderState[]) => states.map((s) => `'${s}'`).join(', ');

/** An order event that moves its shop's stock (placed, changed, cancelled): the shop's platform stores may hear of a sold-out. */
export const movesStock = (e: { type: string; order: { status: string } }) =>
  e.type === 'order.placed' || e.type === 'order.modified' || (e.type === 'order.status' && e.order.status === 'cancelled');
