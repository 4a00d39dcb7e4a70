// A platform order taken onto our make line: its lines mapped, the shop's state read, and then the
// domain's decision (src/lib/domain/marketplaces.ts) carried out: placed as an order of its shop
// and accepted on the platform with its ready time, denied with a reason, or left waiting for the
// manager (an unmapped item, a store that does not accept by itself, a time the kitchen cannot keep).
import { commissionOf, decideIntake, expired, type IntakeProblem } from '../../domain/marketplaces.ts';
import { isOpenAt } from '../../domain/opening-hours.ts';
import type { EtaSettings } from '../../domain/eta.ts';
import { getMenu, getPizzeria, type Pizzeria } from '../shops/catalogue.ts';
import type { Db } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { placeOrder } from './placing.ts';
import type { PlaceOrderInput } from '../orders/steps.ts';
import { pickupPromise } from './shops-for-spot.ts';
import { connectedStores, isWaiting, readMarketplaceOrder, settle, type MarketplaceOrderRow, type StoreRow } from '../marketplaces/intake.ts';
import { mapLines, type MappedLines } from '../marketplaces/lines.ts';
import type { MarketplaceOrderIn, MarketplaceProvider } from '../marketplaces/provider.ts';

export interface TakingDeps {
  providers: readonly MarketplaceProvider[];
  eta?: EtaSettings;
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
  const mapped = await mapLines(db, row.marketplace, order);
  const [shop, stores] = await Promise.all([getPizzeria(db, row.pizzeria_id), connectedStores(db, row.marketplace, [row.store_id])]);
  const store = stores.get(row.store_id);
  if (!shop || !store) return (await settle(db, id, 'awaiting_manager', { problems: [{ kind: 'refused', message: 'the store is no longer connected' }] })) ? 'awaiting_manager' : row.state;
  const unavailable = mapped.unmapped.length ? [] : await unavailableOf(db, shop.id, mapped);
  const decision = decideIntake({
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

/** The order as placing takes it: the shop's, paid to the platform, at its prices, the customer's name and note only. */
export function placingInputOf(p: Omit<PlatformPlacing, 'provider' | 'decidedBy'>): PlaceOrderInput {
  const { row, order, mapped, store } = p;
  const ownDelivery = order.fulfilment === 'shop_delivery' && order.address;
  const a = ownDelivery ? order.address! : null;
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
    marketplace: {
      id: row.marketplace, externalId: row.external_id, code: order.code, unitPrices: mapped.unitPrices, totalCents: order.totalCents,
      promisedAt: p.readyAt, commissionCents: commissionOf(order.totalCents, Number(store.commission_pct)),
      note: kitchenNoteOf(order),
    },
  };
}

/**
 * Places the platform order as an order of its shop (the system acting for the platform), marks it
 * accepted, and tells the platform when it will be ready. Refused by placing (stock gone meanwhile,
 * an address outside the zone): left to the manager with the reason.
 */
export async function placeFromPlatform(db: Db, p: PlatformPlacing): Promise<string> {
  const { row } = p;
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
  await settle(db, row.id, 'accepted', { orderId, decidedBy: p.decidedBy, problems: [] });
  await p.provider.accept({ storeId: row.store_id, externalId: row.external_id }, p.readyAt);
  return 'accepted';
}
