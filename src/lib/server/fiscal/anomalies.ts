// Money changed outside the product. The journal writes what the product's own changes say (each
// comes with its order's event, in the change's transaction); the minute's sweep finds the orders
// whose money changed with no event to say why. One the journal never wrote is a sale it missed:
// written (its money was taken). One it had written (sealed) is an anomaly: an UPDATE made on the
// database by someone, not a sale or a refund by a person through the till. It is never absorbed
// as a correction: a signed `anomaly` goes to the technical events journal, naming the order and
// what changed, the order is left out of the journal's writing from then on (what was sealed
// stands), head office sees an alert, and the verification reports it until the order's money is
// what the journal sealed again.
import { createHash } from 'node:crypto';
import { JET_CHAIN, type Entry } from '../../domain/fiscal-chain.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { appendJetIn } from './jet.ts';
import type { FiscalKey } from './keys.ts';
import { HAS_MONEY, MONEY_STATE, journalOrders } from './order-facts.ts';

/** What the sweep found of an order whose money changed without an event. */
interface Found {
  id: string;
  pizzeria_id: number;
  number: number;
  business_day: string;
  /** Its money as the journal last wrote it (null: never). */
  noted: string | null;
  now: string;
  /** What its entries say: sales, money, and how many. */
  entries: number;
  sales_cents: number;
  money_cents: number;
  /** An event of the product's for it not read by the journal yet (its change is on the way). */
  pending: boolean;
  total_cents: number;
  paid_cents: number;
  refunded_cents: number;
  status: string;
  payment_status: string;
}

/** The money state's columns, by name (MONEY_STATE's order), for an anomaly's words. */
const STATE_PARTS = ['handedOver', 'paymentStatus', 'paidWith', 'totalCents', 'discountCents', 'paidCents', 'refundedCents', 'grantedRefundCents', 'collectedCents', 'collectedMethod', 'pizzas'];

/** What differs between two money states, part by part. */
function changesOf(noted: string | null, now: string): { [part: string]: { from: string | null; to: string } } {
  const a = noted?.split('|') ?? [];
  const b = now.split('|');
  const out: { [part: string]: { from: string | null; to: string } } = {};
  STATE_PARTS.forEach((part, i) => {
    if (a[i] !== b[i]) out[part] = { from: a[i] ?? null, to: b[i] ?? '' };
  });
  return out;
}

/** The orders (of these) as the sweep sees them, after the journal's place `place` in the events. */
async function found(q: Queryable, ids: readonly string[], place: number): Promise<Found[]> {
  const { rows } = await q.query<Found>(
    `SELECT o.id, o.pizzeria_id, o.number, o.business_day::text AS business_day, f.money_state AS noted, ${MONEY_STATE} AS now,
            o.total_cents, o.paid_cents, o.refunded_cents, o.status, o.payment_status,
            coalesce(j.entries, 0)::int AS entries, coalesce(j.sales, 0)::int AS sales_cents, coalesce(j.money, 0)::int AS money_cents,
            (EXISTS (SELECT 1 FROM order_event_inbox i WHERE i.order_id = o.id) OR EXISTS (SELECT 1 FROM order_events v WHERE v.order_id = o.id AND v.id > $2)) AS pending
     FROM orders o LEFT JOIN fiscal_order_states f ON f.order_id = o.id
     LEFT JOIN LATERAL (SELECT count(*) AS entries, sum(sales_cents) AS sales, sum(money_cents) AS money FROM fiscal_entries e WHERE e.order_id = o.id) j ON true
     WHERE o.id = ANY($1) AND ${HAS_MONEY} AND f.money_state IS DISTINCT FROM ${MONEY_STATE} AND f.anomaly_state IS DISTINCT FROM ${MONEY_STATE}`,
    [[...ids], place],
  );
  return rows;
}

/** An anomaly in the JET, and the order set aside (in one transaction). Returns the entry (null: already written). */
async function recordAnomaly(db: Db, key: FiscalKey, o: Found): Promise<Entry | null> {
  return transaction(db, async (tx) => {
    const entry = await appendJetIn(tx, key, {
      kind: 'anomaly',
      sourceKey: `anomaly:${o.id}:${createHash('sha256').update(o.now).digest('hex').slice(0, 16)}`,
      operator: 'system',
      body: {
        what: 'money_changed_outside',
        order: { id: o.id, shop: o.pizzeria_id, number: o.number, businessDay: o.business_day },
        sealed: { state: o.noted, entries: o.entries, salesCents: o.sales_cents, moneyCents: o.money_cents },
        found: { state: o.now, status: o.status, paymentStatus: o.payment_status, totalCents: o.total_cents, paidCents: o.paid_cents, refundedCents: o.refunded_cents },
        changes: changesOf(o.noted, o.now),
      },
    });
    await tx.query(
      `INSERT INTO fiscal_order_states (order_id, money_state, anomaly_state, anomaly_seq) VALUES ($1, coalesce($2, ''), $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET anomaly_state = EXCLUDED.anomaly_state, anomaly_seq = coalesce(EXCLUDED.anomaly_seq, fiscal_order_states.anomaly_seq)`,
      [o.id, o.noted, o.now, entry?.seq ?? null],
    );
    return entry;
  });
}

/**
 * The sweep's orders (money changed without an event: ordersNotJournaled): an order whose event is
 * still on its way is left to the journal's run; one the journal never wrote is journaled; one it
 * had written is an anomaly. An order whose money is back to what the journal sealed is taken back
 * into the journal's writing. Returns the entries written and the anomalies recorded.
 */
export async function sweepChanged(db: Db, key: FiscalKey, ids: readonly string[], place: number): Promise<{ journaled: Entry[]; anomalies: Entry[] }> {
  await db.query(
    `UPDATE fiscal_order_states f SET anomaly_state = NULL, anomaly_seq = NULL FROM orders o
     WHERE f.anomaly_state IS NOT NULL AND o.id = f.order_id AND f.money_state = ${MONEY_STATE}`,
  );
  if (!ids.length) return { journaled: [], anomalies: [] };
  const orders = (await found(db, ids, place)).filter((o) => !o.pending);
  const missed = orders.filter((o) => o.noted === null && o.entries === 0);
  const journaled = await journalOrders(db, key, missed.map((o) => o.id));
  const anomalies: Entry[] = [];
  for (const o of orders.filter((x) => !missed.includes(x))) {
    const e = await recordAnomaly(db, key, o);
    if (e) anomalies.push(e);
  }
  return { journaled, anomalies };
}

/** An anomaly recorded, with whether its order's money is still not what the journal sealed. */
export interface Anomaly {
  seq: number;
  at: string;
  orderId: string;
  pizzeriaId: number;
  number: number;
  businessDay: string;
  changes: Record<string, { from: string | null; to: string }>;
  /** Still so: the order's money is not back to what the journal sealed. */
  open: boolean;
}

/** The anomalies the JET recorded (of these shops, or all), newest first; `openOnly`: those still so. */
export async function anomalies(q: Queryable, opts: { shops?: readonly number[]; openOnly?: boolean; limit?: number } = {}): Promise<Anomaly[]> {
  const { rows } = await q.query<{ seq: string; at: Date; body: { order: { id: string; shop: number; number: number; businessDay: string }; sealed: { state: string | null }; changes: Anomaly['changes'] }; now: string | null }>(
    `SELECT e.seq, e.occurred_at AS at, e.body, (SELECT ${MONEY_STATE} FROM orders o WHERE o.id = (e.body->'order'->>'id')::uuid) AS now
     FROM fiscal_entries e
     WHERE e.chain = $1 AND e.kind = 'anomaly' AND ($2::int[] IS NULL OR (e.body->'order'->>'shop')::int = ANY($2))
     ORDER BY e.seq DESC LIMIT $3`,
    [JET_CHAIN, opts.shops ?? null, opts.limit ?? 1000],
  );
  // an order anomalous twice (changed again): its newest anomaly says whether it is still so
  const seen = new Set<string>();
  const list: Anomaly[] = [];
  for (const r of rows) {
    const orderId = r.body.order.id;
    const open = !seen.has(orderId) && r.now !== null && r.now !== r.body.sealed.state;
    seen.add(orderId);
    list.push({ seq: Number(r.seq), at: r.at.toISOString(), orderId, pizzeriaId: r.body.order.shop, number: r.body.order.number, businessDay: r.body.order.businessDay, changes: r.body.changes, open });
  }
  return opts.openOnly ? list.filter((a) => a.open) : list;
}
