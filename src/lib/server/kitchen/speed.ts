// A shop's speed of service for a day (src/lib/domain/speed-of-service.ts), for the manager's page,
// its CSV and the live cards. The times are those of the orders' transitions, as the event log has
// them: each transition stamps its `<status>_at` column in the statement that records its event
// (order.status), and a recall clears `ready_at` until the order is ready again. An order counts on
// its business day (the Paris date its number belongs to); cancelled orders are left out.
import { DEFAULT_HANDOVER_TARGET_SECONDS, DEFAULT_START_TARGET_SECONDS, speedOfService, stageFigures, type ServiceOrder, type ServiceTargets, type SpeedOfService, type StageFigures } from '../../domain/speed-of-service.ts';
import type { ProductKind } from '../../domain/product-kinds.ts';
import { config } from '../kernel/config.ts';
import type { Queryable } from '../kernel/db.ts';
import { notFound } from '../kernel/errors.ts';
import { checkTakingsReader, todayInParis } from '../money/takings.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { listStations } from './stations.ts';
import { HANDED_OVER_STATUSES, sqlList } from '../../domain/order-states.ts';

export interface DaySpeed extends SpeedOfService {
  date: string;
  shop: { id: number; name: string };
}

interface Row {
  pizzeria_id: number;
  received_at: Date | null;
  preparing_at: Date | null;
  ready_at: Date | null;
  handed_at: Date | null;
  hour: number;
  handed_over: boolean;
  lines: { productId: number; name: string; category: ProductKind; categoryId: number | null; doneAt: string | null }[];
}

const LINES = `(SELECT coalesce(jsonb_agg(jsonb_build_object('productId', i.product_id, 'name', i.name, 'category', i.category,
                 'categoryId', i.category_id, 'doneAt', i.done_at) ORDER BY i.id), '[]')
               FROM order_items i WHERE i.order_id = o.id)`;

/** The shops' orders of a business day (null: today), not cancelled, with their lines (or none, for the shop as a whole). */
/** The shops' orders of a day (today: null), for their speed; `handedOver`, when given, gets how many of each shop's were handed over as read. */
async function serviceOrders(q: Queryable, shops: number[], day: string | null, withLines = true, handedOver?: Map<number, number>): Promise<Map<number, ServiceOrder[]>> {
  const { rows } = await q.query<Row>({
    name: withLines ? 'service-orders' : 'service-orders-without-lines',
    // an order for later reaches the kitchen when it is fired, not when it was taken days before
    text: `SELECT o.pizzeria_id, greatest(o.received_at, o.fired_at) AS received_at, o.preparing_at, o.ready_at,
             CASE o.fulfilment WHEN 'pickup' THEN o.collected_at ELSE o.out_for_delivery_at END AS handed_at,
             extract(hour FROM greatest(o.received_at, o.fired_at) AT TIME ZONE 'Europe/Paris')::int AS hour,
             o.status IN (${sqlList(HANDED_OVER_STATUSES)}) AS handed_over,
             ${withLines ? LINES : `'[]'::jsonb`} AS lines
           FROM orders o
           WHERE o.pizzeria_id = ANY($1::int[]) AND o.business_day = coalesce($2::date, (now() AT TIME ZONE 'Europe/Paris')::date)
             AND o.status <> 'cancelled' AND o.received_at IS NOT NULL`,
    values: [shops, day],
  });
  const byShop = new Map<number, ServiceOrder[]>(shops.map((s) => [s, []]));
  for (const shop of shops) handedOver?.set(shop, 0);
  for (const r of rows) {
    if (r.handed_over) handedOver?.set(r.pizzeria_id, (handedOver.get(r.pizzeria_id) ?? 0) + 1);
    byShop.get(r.pizzeria_id)!.push({
      receivedAt: r.received_at,
      startedAt: r.preparing_at,
      readyAt: r.ready_at,
      handedAt: r.handed_at,
      hour: r.hour,
      lines: r.lines.map((l) => ({ ...l, doneAt: l.doneAt ? new Date(l.doneAt) : null })),
    });
  }
  return byShop;
}

/** The shops' targets, each stage its own or the chain's. */
async function targetsOf(q: Queryable, shops: number[]): Promise<Map<number, { name: string; targets: ServiceTargets }>> {
  const { rows } = await q.query<{ id: number; name: string; start: number | null; make: number | null; handover: number | null }>({
    name: 'service-targets',
    text: `SELECT id, name, start_target_seconds AS start, prep_target_seconds AS make, handover_target_seconds AS handover
           FROM pizzerias WHERE id = ANY($1::int[])`,
    values: [shops],
  });
  return new Map(
    rows.map((r) => [
      r.id,
      {
        name: r.name,
        targets: {
          start: r.start ?? DEFAULT_START_TARGET_SECONDS,
          make: r.make ?? config().PREP_TARGET_SECONDS,
          handover: r.handover ?? DEFAULT_HANDOVER_TARGET_SECONDS,
        },
      },
    ]),
  );
}

/** A shop's speed of service on a day (today when none is given): a manager their shop, head office any. */
export async function speedOfDay(q: Queryable, actor: StaffActor, pizzeriaId: number, date?: string): Promise<DaySpeed> {
  checkTakingsReader(actor, pizzeriaId);
  const shop = (await targetsOf(q, [pizzeriaId])).get(pizzeriaId);
  if (!shop) throw notFound('pizzeria');
  const day = date ?? (await todayInParis(q));
  const [orders, stations] = await Promise.all([serviceOrders(q, [pizzeriaId], day), listStations(q, pizzeriaId)]);
  return { date: day, shop: { id: pizzeriaId, name: shop.name }, ...speedOfService(orders.get(pizzeriaId)!, shop.targets, stations) };
}

/** Today's figures per shop as a whole, for the manager's live cards: the same computation as the day's page. */
export async function todaysSpeed(q: Queryable, shops: number[]): Promise<Map<number, StageFigures>> {
  return new Map([...(await todaysSpeedAndDone(q, shops))].map(([shop, s]) => [shop, s.figures]));
}

/**
 * todaysSpeed with, for each shop, how many of its orders today were handed over in that same read:
 * what the figures were computed from (the evenings' owner reads them again when the count moves).
 */
export async function todaysSpeedAndDone(q: Queryable, shops: number[]): Promise<Map<number, { figures: StageFigures; done: number }>> {
  const done = new Map<number, number>();
  const [orders, targets] = await Promise.all([serviceOrders(q, shops, null, false, done), targetsOf(q, shops)]);
  return new Map(shops.filter((s) => targets.has(s)).map((s) => [s, { figures: stageFigures(orders.get(s)!, targets.get(s)!.targets), done: done.get(s) ?? 0 }]));
}
