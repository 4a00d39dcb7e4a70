// A platform order taken onto our make line: its lines mapped, the shop's state read, and then the
// domain's decision (src/lib/domain/marketplaces.ts) carried out: placed as an order of its shop
// and accepted on the platform with its ready time, denied with a reason, or left waiting for the
// manager (an unmapped item, a store that does not accept by itself, a time the kitchen cannot keep).
import { commissionOf, decideIntake, expired, moneyProblems, permanentProviderError, type IntakeProblem } from '../../domain/marketplaces.ts';
import { isOpenAt } from '../../domain/opening-hours.ts';
import type { EtaSettings } from '../../domain/eta.ts';
import { getMenu, getPizzeria, type Pizzeria } from '../shops/catalogue.ts';
import type { Db } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { placeOrder } from './placing.ts';
import { advanceOrder } from '../orders/index.ts';
import type { PlaceOrderInput } from '../orders/steps.ts';
import { pickupPromise } from './shops-for-spot.ts';
import { connectedStores, isWaiting, readMarketplaceOrder, settle, type MarketplaceOrderRow, type StoreRow } from '../marketplaces/intake.ts';
import { linePrices, mapLines, type MappedLines } from '../marketplaces/lines.ts';
import type { MarketplaceOrderIn, MarketplaceProvider } from '../marketplaces/provider.ts';

export interface TakingDeps {
  providers: readonly MarketplaceProvider[];
  eta?: EtaSettings;
  /** The workers' logger: an order whose money is wrong is written there (the manager's alert shows it too). */
  log?: { warn: (fields: object, message: string) => void };
}

/** The platform of a kept row: known and configured, else an error the job retries (a setting restored). */
export function providerOf(deps: TakingDeps, marketplace: string): MarketplaceProvider {
  const p = deps.providers.find((x) => x.id === marketplace);
  if (!p?.configured) throw new Error(`the platform ${marketplace} is not configured here`);
  return p;
}

/** The order's content: as the webhook brought it, or fetched from the platform when it only named it (kept then). */
async function contentOf(db: Db, row: MarketplaceOrderRow, provider: MarketplaceProvider): Promise<MarketplaceOrderIn> {
  if (row.payload.lines) return row.payload as MarketplaceOrderIn;
  const order = await provider.fetchOrder({ storeId: row.store_id, externalId: row.external_id });
  await db.query('UPDATE marketplace_orders SET payload = $2, accept_by = $3 WHERE id = $1', [row.id, JSON.stringify(order), order.acceptBy]);
  row.accept_by = order.acceptBy ? new Date(order.acceptBy) : null;
  return order;
}

/** The products of the order the shop cannot make now: off tonight, short of stock, or an option out. */
async function unavailableOf(db: Db, pizzeriaId: number, mapped: MappedLines): Promise<number[]> {
  const menu = new Map((await getMenu(db, pizzeriaId)).map((p) => [p.id, p]));
  const out = mapped.items.filter((l) => {
    const p = menu.get(l.productId);
    return !p || !p.available || (l.options ?? []).some((o) => !p.options.find((x) => x.id === o)?.available);
  });
  return [...new Set(out.map((l) => l.productId))];
}

/** When the platform wants it ready: when its courier comes, else the time it gave. */
export const wantedBy = (o: MarketplaceOrderIn) => {
  const at = Date.parse(o.courierEta ?? o.promisedAt ?? '');
  return Number.isFinite(at) ? at : null;
};

/** When our kitchen would have it ready, as our own orders are promised (its queue, the busy lever, the oven's room). */
export async function kitchenReadyAt(db: Db, shop: Pizzeria, mapped: MappedLines, eta?: EtaSettings): Promise<number> {
  const pizzas = Math.max(1, mapped.items.reduce((n, l) => n + l.quantity, 0));
  const { minutes } = await pickupPromise(db, shop, { pizzas, eta });
  return Date.now() + minutes * 60_000;
}

/**
 * Takes a kept platform order (the intake job). Returns its state after: accepted (on the make
 * line), denied, needs_mapping or awaiting_manager (the manager's alert), expired, or unchanged.
 */
export async function takeOrder(db: Db, id: number, deps: TakingDeps): Promise<string> {
  const row = await readMarketplaceOrder(db, id);
  if (!row || !isWaiting(row)) return row?.state ?? 'unknown';
  const provider = providerOf(deps, row.marketplace);
  const order = await contentOf(db, row, provider);
  if (expired(row.accept_by, Date.now())) return (await settle(db, id, 'expired')) ? 'expired' : row.state;
  const mapped = await mapLines(db, row.marketplace, row.pizzeria_id, order);
  const [shop, stores] = await Promise.all([getPizzeria(db, row.pizzeria_id), connectedStores(db, row.marketplace, [row.store_id])]);
  const store = stores.get(row.store_id);
  if (!shop || !store) return (await settle(db, id, 'awaiting_manager', { problems: [{ kind: 'refused', message: 'the store is no longer connected' }] })) ? 'awaiting_manager' : row.state;
  const unavailable = mapped.unmapped.length ? [] : await unavailableOf(db, shop.id, mapped);
  const money = moneyProblems(order, await linePrices(db, row.marketplace, Number(store.price_markup_pct), mapped));
  if (money.length) deps.log?.warn({ marketplace: row.marketplace, externalId: row.external_id, pizzeriaId: row.pizzeria_id, problems: money }, "a platform order's prices are not ours: it waits for the manager");
  const decision = decideIntake({
    money,
    unmapped: mapped.unmapped, onlinePaused: shop.onlinePaused, openNow: !shop.openingHours || isOpenAt(shop.openingHours, new Date()),
    unavailable, autoAccept: store.auto_accept, readyAt: mapped.unmapped.length ? 0 : await kitchenReadyAt(db, shop, mapped, deps.eta), wantedBy: wantedBy(order),
  });
  const ref = { storeId: row.store_id, externalId: row.external_id };
  switch (decision.kind) {
    case 'needs_mapping':
    case 'await': {
      const state = decision.kind === 'await' ? 'awaiting_manager' : 'needs_mapping';
      return (await settle(db, id, state, { problems: decision.problems })) ? state : row.state;
    }
    case 'deny':
      if (!(await settle(db, id, 'denied', { problems: decision.problems, denyReason: decision.reason, decidedBy: `system:${row.marketplace}` }))) return row.state;
      await provider.deny(ref, decision.reason, decision.explanation);
      return 'denied';
    case 'accept':
      return placeFromPlatform(db, { row, order, mapped, store, readyAt: decision.readyAt, provider, decidedBy: `system:${row.marketplace}` });
  }
}

/** What placing a platform order takes. */
export interface PlatformPlacing {
  row: MarketplaceOrderRow;
  order: MarketplaceOrderIn;
  mapped: MappedLines;
  store: StoreRow;
  readyAt: Date;
  provider: MarketplaceProvider;
  decidedBy: string;
}

/** What the platform's customer wrote for the kitchen: the order's note, then each line's ("2× Margherita: bien cuite"). */
export function kitchenNoteOf(order: MarketplaceOrderIn): string | null {
  const parts = [order.customer.note, ...order.lines.filter((l) => l.note).map((l) => `${l.quantity}× ${l.name}: ${l.note}`)];
  // eslint-disable-next-line no-control-regex
  const text = parts.map((x) => (x ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()).filter(Boolean).join(' · ');
  return text ? text.slice(0, 500) : null;
}

/** The platform customer's allergy as the order's allergy note: one plain line of at most 200 characters, or none. */
export function allergyNoteOf(order: MarketplaceOrderIn): string | null {
  // eslint-disable-next-line no-control-regex
  const text = (order.allergy ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text ? text.slice(0, 200) : null;
}

/** The order as placing takes it: the shop's, paid to the platform, at its prices, the customer's name and note only. */
export function placingInputOf(p: Omit<PlatformPlacing, 'provider' | 'decidedBy'>): PlaceOrderInput {
  const { row, order, mapped, store } = p;
  const ownDelivery = order.fulfilment === 'shop_delivery' && order.address;
  const a = ownDelivery ? order.address! : null;
  const allergy = allergyNoteOf(order);
  return {
    pizzeriaId: row.pizzeria_id,
    channel: 'marketplace',
    payment: 'marketplace',
    fulfilment: ownDelivery ? 'delivery' : 'pickup',
    // a phone and an address only when the shop delivers it itself
    customer: { name: (order.customer.name || order.code || 'Client').slice(0, 80), phone: ownDelivery ? (order.customer.phone ?? '') : '' },
    address: a
      ? {
          street: a.street, postcode: a.postcode ?? '00000', city: a.city, ...(a.lat !== null && a.lng !== null ? { lat: a.lat, lng: a.lng } : {}),
          instructions: [a.instructions, order.customer.note].filter(Boolean).join(' — ').slice(0, 300) || undefined,
        }
      : null,
    items: mapped.items,
    // the customer's allergy said apart on the platform: the order's allergy note (the ticket's red line, "Allergie lue");
    // already ordered there, so a line with it is not refused here
    ...(allergy ? { allergy: { allergens: [], note: allergy, confirmed: true } } : {}),
    marketplace: {
      id: row.marketplace, externalId: row.external_id, code: order.code, unitPrices: mapped.unitPrices, totalCents: order.totalCents,
      promisedAt: p.readyAt, commissionCents: commissionOf(order.totalCents, Number(store.commission_pct)),
      note: kitchenNoteOf(order),
    },
  };
}

/**
 * The platform first, then the make line: our accept told to the platform, and only once it took
 * it, the order placed as an order of its shop (the system acting for the platform) and marked
 * accepted. A platform that refuses our accept (a store not activated for us: Uber answers 403)
 * leaves the order to the manager with the platform's answer, never on the make line; a failure
 * that may pass is the job's to try again. Refused by placing after the platform took it (stock
 * gone meanwhile, an address outside the zone): left to the manager with the reason (their no
 * is then a cancel on the platform).
 */
export async function placeFromPlatform(db: Db, p: PlatformPlacing): Promise<string> {
  const { row } = p;
  const ref = { storeId: row.store_id, externalId: row.external_id };
  if (!row.platform_accepted_at) {
    try {
      await p.provider.accept(ref, p.readyAt);
    } catch (err) {
      if (!permanentProviderError(err)) throw err;
      const status = Number((err as { status?: unknown }).status);
      const problems: IntakeProblem[] = [{ kind: 'platform_refused', platform: p.provider.label, status }];
      return (await settle(db, row.id, 'awaiting_manager', { problems })) ? 'awaiting_manager' : row.state;
    }
    await db.query('UPDATE marketplace_orders SET platform_accepted_at = now() WHERE id = $1 AND platform_accepted_at IS NULL', [row.id]);
    row.platform_accepted_at = new Date();
  }
  // the platform cancelled it meanwhile (its notice let it go): nothing to place
  const now = await readMarketplaceOrder(db, row.id);
  if (!now || !isWaiting(now)) return now?.state ?? row.state;
  // placed already by an earlier try of this job (then stopped before marking it): the same order
  const { rows: earlier } = await db.query<{ id: string }>('SELECT id FROM orders WHERE marketplace = $1 AND external_id = $2', [row.marketplace, row.external_id]);
  let orderId = earlier[0]?.id;
  try {
    orderId ??= (await placeOrder(db, placingInputOf(p), { kind: 'system', name: row.marketplace }, { announce: true })).order.id;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const problems: IntakeProblem[] = [{ kind: 'refused', message: err.message }];
    return (await settle(db, row.id, 'awaiting_manager', { problems })) ? 'awaiting_manager' : row.state;
  }
  if (await settle(db, row.id, 'accepted', { orderId, decidedBy: p.decidedBy, problems: [] })) return 'accepted';
  return settledMeanwhile(db, row, orderId);
}

/**
 * The platform order was decided while ours was being placed: by the platform's cancel (its notice
 * let the waiting order go, not knowing ours), then ours is cancelled as the platform's; by a
 * manager's decision that placed the same order, nothing more to do.
 */
async function settledMeanwhile(db: Db, row: MarketplaceOrderRow, orderId: string): Promise<string> {
  const now = await readMarketplaceOrder(db, row.id);
  if (now?.state !== 'cancelled') return now?.state ?? 'unknown';
  await db.query('UPDATE marketplace_orders SET order_id = coalesce(order_id, $2) WHERE id = $1', [row.id, orderId]);
  try {
    await advanceOrder(db, { kind: 'system', name: row.marketplace }, orderId, 'cancelled', undefined, { cancelReason: 'platform', announce: true });
  } catch (err) {
    if (!(err instanceof AppError && err.status < 500)) throw err;
  }
  return 'cancelled';
}
