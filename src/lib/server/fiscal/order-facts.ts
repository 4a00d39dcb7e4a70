// Orders into the fiscal journal: for each order whose money changed since the journal last looked,
// what the journal lacks of it (src/lib/domain/fiscal-facts.ts) is appended to its shop's chain.
// The sweep, corrections and closings lock the chain's head and read the order after the lock: two
// writers at once take turns, and the second finds nothing left to write. The workers' runs read
// the events, the orders and their heads in one statement and append in another, without a lock in
// between (journalRun): the database numbers each chain under its head's lock and refuses an entry
// that is not the next one, so a run that met another writer writes nothing and is done again
// under the locks. Each fact's source key is unique besides: the same fact is never two entries.
import { isoTime, shopChain, type ChainHead, type Entry, type EntryDraft } from '../../domain/fiscal-chain.ts';
import { voucherPart } from '../../domain/meal-vouchers.ts';
import { factsOf, journaledOf, type FactDraft, type FiscalOrder, type JournaledEntry } from '../../domain/fiscal-facts.ts';
import { HANDED_OVER_STATUSES, sqlList } from '../../domain/order-states.ts';
import type { RefundMethod } from '../../domain/refunds.ts';
import type { TicketCounters } from '../../domain/fiscal-tickets.ts';
import { optionsLabel } from '../../shapes/line-options.ts';
import type { QueryConfig } from 'pg';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { chainDrafts, entriesParam, INSERT_ENTRIES, lockChain, lockChains, type Resolve } from './journal.ts';
import type { FiscalKey } from './keys.ts';
import { takeTurns } from './turns.ts';

/**
 * The order's money in one text: whether it was handed over or cancelled, how it was paid, what it
 * costs, was paid, given back. The journal notes it for each order it wrote; an order whose text is
 * the same as noted has nothing new to say (the moves of the kitchen, the drivers' trips).
 */
export const MONEY_STATE = `concat_ws('|',
  CASE WHEN o.status = 'cancelled' THEN 'x' WHEN o.status IN (${sqlList(HANDED_OVER_STATUSES)}) THEN 'h' ELSE 'o' END,
  o.payment_status, coalesce(o.paid_with::text, '-'), o.total_cents, o.discount_cents, o.paid_cents, o.refunded_cents,
  o.granted_refund_cents, coalesce(o.collected_cents::text, '-'), coalesce(o.collected_method, '-'), o.pizzas,
  -- a titre-restaurant's part (migration 0113): its own way
  nullif(o.meal_voucher_cents, 0), o.meal_voucher_issuer)`;

/**
 * Orders with money that the journal may have something to say about: never a training shop's
 * (migration 0094), whose sales are no sales (the JET keeps them as training_sale: till-events.ts).
 */
export const HAS_MONEY = `(NOT o.training AND (o.paid_cents > 0 OR o.status IN (${sqlList(HANDED_OVER_STATUSES)})))`;

/** A training shop's order handed over: the seal records it in the JET (till-events.ts), once per state of its money. */
const TRAINING_SOLD = `(o.training AND o.status IN (${sqlList(HANDED_OVER_STATUSES)}))`;

interface SnapshotRow {
  id: string;
  pizzeria_id: number;
  number: number;
  business_day: string;
  fulfilment: string;
  channel: string;
  status: string;
  payment_status: string;
  version: number;
  total_cents: number;
  discount_cents: number;
  paid_cents: number;
  refunded_cents: number;
  paid_with: FiscalOrder['paidWith'];
  collected_cents: number | null;
  collected_method: FiscalOrder['collectedMethod'];
  meal_voucher_cents: number;
  meal_voucher_issuer: string | null;
  cancel_reason: string | null;
  money_state: string;
  captured_cents: number;
  online_refunded_cents: number;
  sold_at: Date;
  paid_at: Date;
  cancelled_at: Date | null;
  refunded_at: Date | null;
  updated_at: Date;
  items: { name: string; options: { name: string }[]; quantity: number; unit: number; rate: string }[] | null;
  discount: { kind: string; code: string | null; points: number | null; cents: number; byRate: { rate: number; cents: number }[] } | null;
  refunds: { id: number; amount: number; method: RefundMethod; reason: string; note: string | null; vat: { rate: number; grossCents: number }[]; lines: FiscalOrder['refunds'][number]['lines']; at: string; by: string }[] | null;
  /** What the journal holds of it (read with it, under the lock), in number order. */
  journaled: (JournaledEntry & { sourceKey: string })[] | null;
}

/** An order read whole (SNAPSHOT_COLUMNS, SNAPSHOT_FROM): its money, lines, discount, refunds, and what the journal holds of it. */
const SNAPSHOT_COLUMNS = `o.id, o.pizzeria_id, o.number, o.business_day::text AS business_day, o.fulfilment, o.channel, o.status, o.payment_status, o.version,
       o.total_cents, o.discount_cents, o.paid_cents, o.refunded_cents, o.collected_cents, o.collected_method, o.meal_voucher_cents, o.meal_voucher_issuer, o.cancel_reason,
       -- a delivery platform's order was paid to the platform: its own way of paying (payment-split.ts)
       CASE WHEN o.payment_method = 'marketplace' THEN 'marketplace' ELSE o.paid_with::text END AS paid_with,
       ${MONEY_STATE} AS money_state,
       coalesce(m.captured, 0)::int AS captured_cents, coalesce(m.refunded, 0)::int AS online_refunded_cents,
       -- sold when handed over, captured, or marked paid (an order paid at the counter before the kitchen)
       coalesce(least(m.captured_at, o.delivered_at, o.collected_at), o.received_at, o.created_at) AS sold_at,
       coalesce(greatest(m.captured_at, o.delivered_at, o.collected_at), o.received_at, o.created_at) AS paid_at,
       o.cancelled_at, o.refunded_at, o.updated_at,
       (SELECT json_agg(json_build_object('name', i.name, 'options', i.options, 'quantity', i.quantity, 'unit', i.unit_price_cents, 'rate', i.vat_rate) ORDER BY i.id)
        FROM order_items i WHERE i.order_id = o.id) AS items,
       (SELECT json_build_object('kind', d.kind, 'code', d.code, 'points', d.points, 'cents', d.discount_cents, 'byRate', d.by_rate)
        FROM order_discounts d WHERE d.order_id = o.id LIMIT 1) AS discount,
       (SELECT json_agg(json_build_object('id', r.id, 'amount', r.amount_cents, 'method', r.method, 'reason', r.reason, 'note', r.note, 'vat', r.vat, 'lines', r.lines,
                 'at', r.settled_at, 'by', coalesce(u.role::text || ':' || r.requested_by, 'system')) ORDER BY r.id)
        FROM order_refunds r LEFT JOIN users u ON u.id = r.requested_by
        WHERE r.order_id = o.id AND r.status = 'done' AND r.amount_cents > 0) AS refunds,
       (SELECT json_agg(json_build_object('seq', e.seq, 'kind', e.kind, 'body', e.body, 'sourceKey', e.source_key) ORDER BY e.seq)
        FROM fiscal_entries e WHERE e.order_id = o.id) AS journaled`;

/** The orders `o` with what SNAPSHOT_COLUMNS reads beside them; filter with NOT_NOTED. */
const SNAPSHOT_FROM = `orders o
     LEFT JOIN fiscal_order_states f ON f.order_id = o.id
     LEFT JOIN LATERAL (
       SELECT sum(amount_cents) FILTER (WHERE kind = 'captured') AS captured, sum(amount_cents) FILTER (WHERE kind = 'refunded') AS refunded,
              max(created_at) FILTER (WHERE kind = 'captured') AS captured_at
       FROM payment_movements WHERE order_id = o.id
     ) m ON true`;

/** The head of the shop's chain `c` beside an order read whole (RunOrder's head_*). */
const CHAIN_HEAD = 'c.last_seq AS head_seq, c.last_signature AS head_signature, c.tickets AS head_tickets';

/** The chain's head an order was read with (a chain there is: head_seq not null). */
const headOf = (o: RunOrder): ChainHead => ({ lastSeq: o.head_seq!, lastSignature: o.head_signature, tickets: o.head_tickets ?? {} });

/**
 * SNAPSHOT_COLUMNS of the order `o` alone, with its shop's chain's head as it stands (not locked),
 * as one JSON object: the seal's read (orders/seal.ts, SaleSeal.read), made by the statement that
 * changes the order (an UPDATE's RETURNING, where `o` is the order as changed). See sealedAtCommit.
 */
export const SNAPSHOT_OF_ORDER = `(SELECT row_to_json(s) FROM (
    SELECT ${SNAPSHOT_COLUMNS}, '' AS actor, ${CHAIN_HEAD}, o.training
    FROM (SELECT sum(amount_cents) FILTER (WHERE kind = 'captured') AS captured, sum(amount_cents) FILTER (WHERE kind = 'refunded') AS refunded,
                 max(created_at) FILTER (WHERE kind = 'captured') AS captured_at
          FROM payment_movements WHERE order_id = o.id) m
    LEFT JOIN fiscal_chains c ON c.chain = 'shop:' || o.pizzeria_id) s)`;

/** An order as SNAPSHOT_OF_ORDER gave it (JSON): its times as dates again. */
function runOrderOfJson(j: Record<string, unknown>): RunOrder {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    ...(j as unknown as RunOrder),
    sold_at: date(j.sold_at)!, paid_at: date(j.paid_at)!, cancelled_at: date(j.cancelled_at), refunded_at: date(j.refunded_at), updated_at: date(j.updated_at)!,
  };
}

/**
 * Orders with money whose money the journal has not noted as it is now; an order set aside by an
 * anomaly (its money changed outside the product: anomalies.ts) is not the journal's to write.
 */
const NOT_NOTED = `${HAS_MONEY} AND f.money_state IS DISTINCT FROM ${MONEY_STATE} AND f.anomaly_state IS NULL`;

/**
 * NOT_NOTED as a condition on the order `o` alone, for the seal's check (orders/seal.ts), which
 * rides on the statement that changes the order or records its event (an UPDATE's RETURNING).
 */
export const UNSEALED = `((${HAS_MONEY} OR ${TRAINING_SOLD}) AND NOT EXISTS (SELECT 1 FROM fiscal_order_states f WHERE f.order_id = o.id AND (f.money_state = ${MONEY_STATE} OR f.anomaly_state IS NOT NULL)))`;

/** UNSEALED for a training shop's sales alone (FISCAL_SEAL_SALES off: the workers journal real sales). */
export const UNSEALED_TRAINING = `(${TRAINING_SOLD} AND NOT EXISTS (SELECT 1 FROM fiscal_order_states f WHERE f.order_id = o.id AND f.money_state = ${MONEY_STATE}))`;

/**
 * Seals one order in the caller's transaction (the seal: seal.ts), holding its shop's chain as
 * briefly as it can: the order is read whole with the chain's head as it stands (no lock: sales of
 * the shop go on meanwhile), its entries signed after that head, then appended in one statement that
 * locks the head and appends only if no one moved it since; the chain then stays locked only from
 * that statement to the commit. Another sale of the shop in between: the statement appends nothing
 * and answers the head as it now is (locked), the entries are signed again after it and appended.
 * Returns null when the read found nothing (no chain yet, the order moved to another shop, nothing
 * to write): then journalChangedIn does it the long way.
 */
export async function sealOneIn(tx: Tx, key: FiscalKey, order: { id: string; shop: number }, actor: string): Promise<Entry[] | null> {
  const chain = shopChain(order.shop);
  await takeTurns(tx, [chain]);
  const { rows } = await tx.query<RunOrder>({
    name: 'fiscal-seal-read',
    text: `SELECT ${SNAPSHOT_COLUMNS}, '' AS actor, ${CHAIN_HEAD}
           FROM fiscal_chains c, ${SNAPSHOT_FROM} WHERE c.chain = $2 AND o.id = $1 AND o.pizzeria_id = $3 AND ${NOT_NOTED}`,
    values: [order.id, chain, order.shop],
  });
  const o = rows[0];
  if (!o) return null;
  const operators = new Map([[order.id, actor]]);
  const noted = [[o.id], [o.money_state]];
  let written = shopEntries(order.shop, [o], headOf(o), key, operators);
  if (!written.length) {
    await tx.query({ name: 'fiscal-note-orders', text: noteOrders(1, 2), values: noted });
    return written;
  }
  const { rows: [r] } = await tx.query<{ appended: number; last_seq: number; last_signature: string | null; tickets: TicketCounters }>({
    name: 'fiscal-seal-append',
    text: `WITH head AS (SELECT last_seq, last_signature, tickets FROM fiscal_chains WHERE chain = $4 FOR UPDATE),
                appended AS (${INSERT_ENTRIES.replace('ORDER BY e.chain, e.seq', 'WHERE EXISTS (SELECT 1 FROM head WHERE last_seq = $5) ORDER BY e.chain, e.seq')} RETURNING 1),
                noted AS (${noteOrders(2, 3).replace(/ ON CONFLICT/, ' WHERE EXISTS (SELECT 1 FROM appended) ON CONFLICT')} RETURNING 1)
           SELECT (SELECT count(*) FROM appended)::int AS appended, (SELECT count(*) FROM noted)::int AS noted, h.* FROM head h`,
    values: [entriesParam(written), ...noted, chain, o.head_seq],
  });
  if (r.appended) return written;
  // another sale of the shop came in between: after the head as it now is (locked by that statement)
  written = shopEntries(order.shop, [o], { lastSeq: r.last_seq, lastSignature: r.last_signature, tickets: r.tickets ?? {} }, key, operators);
  await tx.query({ name: 'fiscal-append-and-note', text: `WITH appended AS (${INSERT_ENTRIES} RETURNING 1) ${noteOrders(2, 3)}`, values: [entriesParam(written), ...noted] });
  return written;
}

/**
 * The orders a transaction sealed, as its last statements (seal.ts: sent with its COMMIT, in one
 * round trip): each order read whole with its shop's chain's head as it stands (no lock), its
 * entries signed after that head, and one statement that appends them and notes the orders' money.
 * The chain is locked by that statement alone, from its append to the commit, without a round trip
 * of the client in between; another sale of the shop that came in since the read makes the database
 * refuse the append as a serialization failure (migration 0095), and the transaction is done again,
 * the chain locked first. `left`: the orders the read did not give (a shop whose chain is not made
 * yet, a training shop's sale, an order already noted in the transaction): the caller's to do.
 */
export async function sealedAtCommit(
  tx: Tx,
  key: FiscalKey,
  orders: ReadonlyMap<string, { shop: number; actor: string; read?: unknown }>,
  known: ReadonlyMap<string, ChainHead> = new Map(),
): Promise<{ last: QueryConfig[]; left: string[]; heads: Map<string, ChainHead> }> {
  // read by the statements that changed them (SNAPSHOT_OF_ORDER): then their money is checked
  // unchanged by the last statement itself, which notes it (a change since: a serialization failure)
  const given = [...orders.values()].every((o) => o.read);
  const rows = given
    ? [...orders.values()].map((o) => o.read as Record<string, unknown>).filter((j) => !j.training && j.head_seq !== null).map(runOrderOfJson)
    : (await tx.query<RunOrder>({
      name: 'fiscal-seal-at-commit',
      text: `SELECT ${SNAPSHOT_COLUMNS}, '' AS actor, ${CHAIN_HEAD}
             FROM ${SNAPSHOT_FROM} JOIN fiscal_chains c ON c.chain = 'shop:' || o.pizzeria_id WHERE o.id = ANY($1) AND ${NOT_NOTED}`,
      values: [[...orders.keys()]],
    })).rows;
  const operators = new Map([...orders].map(([id, o]) => [id, o.actor]));
  const entries: Entry[] = [];
  const heads = new Map<string, ChainHead>();
  for (const shop of [...new Set(rows.map((o) => o.pizzeria_id))]) {
    const mine = rows.filter((o) => o.pizzeria_id === shop);
    const read: ChainHead = headOf(mine[0]);
    // a head this process wrote since the order was read (`known`) is the later one
    const since = known.get(shopChain(shop));
    const chained = shopChained(shop, mine, since && since.lastSeq > read.lastSeq ? since : read, key, operators);
    entries.push(...chained.entries);
    heads.set(shopChain(shop), chained.head);
  }
  const noted = [rows.map((o) => o.id), rows.map((o) => o.money_state)];
  const left = [...orders.keys()].filter((id) => !rows.some((o) => o.id === id));
  if (!rows.length) return { last: [], left, heads };
  const note = given ? noteUnchanged : noteOrders;
  const last = entries.length
    ? { name: `fiscal-append-and-note${given ? '-unchanged' : ''}`, text: `WITH appended AS (${INSERT_ENTRIES} RETURNING 1) ${note(2, 3)}`, values: [entriesParam(entries), ...noted] }
    : { name: `fiscal-note-orders${given ? '-unchanged' : ''}`, text: note(1, 2), values: noted };
  return { last: [last], left, heads };
}

/** Of these orders, those with money the journal has not noted as it is now, read whole, with what the journal holds of each. */
async function ordersToJournal(q: Queryable, orderIds: string[]): Promise<SnapshotRow[]> {
  const { rows } = await q.query<SnapshotRow>({
    name: 'fiscal-orders-to-journal',
    text: `SELECT ${SNAPSHOT_COLUMNS} FROM ${SNAPSHOT_FROM} WHERE o.id = ANY($1) AND ${NOT_NOTED}`,
    values: [orderIds],
  });
  return rows;
}

function fiscalOrderOf(r: SnapshotRow, operator: string | null): FiscalOrder {
  const iso = (d: Date | null) => (d ? isoTime(d) : null);
  return {
    id: r.id, pizzeriaId: r.pizzeria_id, number: r.number, businessDay: r.business_day, fulfilment: r.fulfilment, channel: r.channel,
    status: r.status, paymentStatus: r.payment_status, version: r.version, totalCents: r.total_cents, discountCents: r.discount_cents,
    paidCents: r.paid_cents, refundedCents: r.refunded_cents, paidWith: r.paid_with, collectedCents: r.collected_cents,
    collectedMethod: r.collected_method, voucher: voucherPart(r.meal_voucher_cents, r.meal_voucher_issuer), cancelReason: r.cancel_reason, capturedCents: r.captured_cents, onlineRefundedCents: r.online_refunded_cents,
    lines: (r.items ?? []).map((i) => ({ name: i.name, options: optionsLabel(i.options ?? [], 'fr'), quantity: i.quantity, unitCents: i.unit, vatRate: Number(i.rate) })),
    discount: r.discount ? { ...r.discount, byRate: (r.discount.byRate ?? []).map((d) => ({ rate: Number(d.rate), cents: d.cents })) } : null,
    refunds: (r.refunds ?? []).map((f) => ({
      id: Number(f.id), amountCents: f.amount, method: f.method, reason: f.reason, note: f.note ?? null, lines: f.lines, at: isoTime(f.at), operator: f.by,
      vat: (f.vat ?? []).map((v) => ({ rate: Number(v.rate), grossCents: v.grossCents })),
    })),
    times: {
      soldAt: isoTime(r.sold_at), paidAt: isoTime(r.paid_at), cancelledAt: iso(r.cancelled_at), refundedAt: iso(r.refunded_at), changedAt: isoTime(r.updated_at),
    },
    operator,
  };
}

/** A fact's entry draft, its reference to the sale filled in once the sale has its number. */
function withSaleRef(saleSeqs: Map<string, number>, chain: string): Resolve {
  return (d, written) => {
    const fact = d as EntryDraft & { refersToSale?: boolean };
    for (const e of written) if (e.kind === 'sale' && e.orderId) saleSeqs.set(e.orderId, e.seq);
    const { refersToSale, ...draft } = fact;
    if (!refersToSale) return draft;
    const seq = d.orderId ? saleSeqs.get(d.orderId) : undefined;
    return { ...draft, body: { ...d.body, ref: seq ? { chain, seq } : null } };
  };
}

/** Notes the orders' money as journaled ($a: their ids, $b: their money now). */
const noteOrders = (a: number, b: number) => `INSERT INTO fiscal_order_states (order_id, money_state) SELECT * FROM unnest($${a}::uuid[], $${b}::text[])
  ON CONFLICT (order_id) DO UPDATE SET money_state = EXCLUDED.money_state, journaled_at = now()`;

/**
 * noteOrders for orders read earlier in the transaction: each order's money must still be what was
 * read ($b), or the statement fails as a serialization failure (migration 0095), writing nothing.
 */
const noteUnchanged = (a: number, b: number) => `INSERT INTO fiscal_order_states (order_id, money_state)
  SELECT r.id, CASE WHEN (SELECT ${MONEY_STATE} FROM orders o WHERE o.id = r.id) = r.state THEN r.state ELSE fiscal_order_changed(r.id) END
  FROM unnest($${a}::uuid[], $${b}::text[]) AS r(id, state)
  ON CONFLICT (order_id) DO UPDATE SET money_state = EXCLUDED.money_state, journaled_at = now()`;

/** Of these orders, those whose money changed since the journal noted it, with their shop. */
export const CHANGED_ORDERS = `SELECT o.pizzeria_id AS shop, o.id FROM orders o LEFT JOIN fiscal_order_states f ON f.order_id = o.id
  WHERE ${NOT_NOTED}`;

/** One shop's orders' facts as the entries that follow its chain's head. */
function shopEntries(shop: number, orders: SnapshotRow[], head: ChainHead, key: FiscalKey, operators: Map<string, string>): Entry[] {
  return shopChained(shop, orders, head, key, operators).entries;
}

/** shopEntries, with the chain's head after them. */
function shopChained(shop: number, orders: SnapshotRow[], head: ChainHead, key: FiscalKey, operators: Map<string, string>): { entries: Entry[]; head: ChainHead } {
  const chain = shopChain(shop);
  const saleSeqs = new Map<string, number>();
  const drafts: FactDraft[] = [];
  // every fact is about these orders: their entries, read under the lock, name every key already written
  const known = new Set(orders.flatMap((o) => (o.journaled ?? []).map((e) => e.sourceKey)));
  for (const row of orders) {
    const journaled = journaledOf(row.journaled ?? []);
    if (journaled.saleSeq) saleSeqs.set(row.id, journaled.saleSeq);
    drafts.push(...factsOf(fiscalOrderOf(row, operators.get(row.id) ?? null), journaled));
  }
  return chainDrafts(chain, head, drafts, key, known, withSaleRef(saleSeqs, chain));
}

/**
 * Journals these orders (CHANGED_ORDERS) in one transaction: their shops' chains locked, the orders
 * read after the lock, what the journal lacks of each appended to its shop's chain, and their money
 * noted; `operators` says who made each order's last change, when known. Returns the entries written.
 */
export async function journalChanged(db: Db, key: FiscalKey, changed: readonly { shop: number; id: string }[], operators: Map<string, string> = new Map()): Promise<Entry[]> {
  if (!changed.length) return [];
  return transaction(db, (tx) => journalChangedIn(tx, key, changed, operators));
}

/**
 * journalChanged inside the caller's transaction, which then holds the shops' chains until it ends:
 * a correction first writes what the journal still lacks of the order, then its own entry after it.
 */
export async function journalChangedIn(tx: Tx, key: FiscalKey, changed: readonly { shop: number; id: string }[], operators: Map<string, string> = new Map()): Promise<Entry[]> {
  if (!changed.length) return [];
  const heads = await lockChains(tx, changed.map((c) => shopChain(c.shop)));
  const orders = await ordersToJournal(tx, [...new Set(changed.map((c) => c.id))]);
  if (!orders.length) return [];
  const written: Entry[] = [];
  for (const shop of [...new Set(orders.map((o) => o.pizzeria_id))]) {
    // an order read now may be of a shop not locked (moved between shops since): locked first
    const head = heads.get(shopChain(shop)) ?? (await lockChain(tx, shopChain(shop)));
    written.push(...shopEntries(shop, orders.filter((o) => o.pizzeria_id === shop), head, key, operators));
  }
  const noted = [orders.map((o) => o.id), orders.map((o) => o.money_state)];
  if (written.length) {
    await tx.query({ name: 'fiscal-append-and-note', text: `WITH appended AS (${INSERT_ENTRIES} RETURNING 1) ${noteOrders(2, 3)}`, values: [entriesParam(written), ...noted] });
  } else await tx.query({ name: 'fiscal-note-orders', text: noteOrders(1, 2), values: noted });
  return written;
}

/** An order of a run (runAfter): read whole, with the actor of its last event and its shop's chain's head as read (not locked; null: no chain yet). */
export interface RunOrder extends SnapshotRow {
  actor: string;
  head_seq: number | null;
  head_signature: string | null;
  head_tickets: TicketCounters | null;
}

/**
 * A run of the journal in one statement: the events after `afterId` (at most `limit`), the last
 * one's id and how many, and the orders among theirs whose money the journal has not noted as it
 * is now, read whole, in the order of their last events, each with its shop's chain's head (read,
 * not locked: journalRun appends after it only if no one did meanwhile). Most runs find no money
 * changed (the kitchen's moves, the drivers'), and read no order whole; such a run has nothing to
 * write, so the journal's place in `cursor` (if given) is written down by the same statement.
 * Up to `settled` when given (events.ts settledEventId: another shop's event may still commit below a higher id).
 */
export async function runAfter(q: Queryable, afterId: number, limit: number, cursor: string | null = null, settled: number | null = null): Promise<{ upTo: number | null; count: number; orders: RunOrder[]; placeSaved: boolean }> {
  const { rows } = await q.query<RunOrder & { up_to: number | null; count: number; placed: number }>({
    name: 'fiscal-run-after',
    // the orders' columns at the top: worked out for the orders of the run only (inside the outer
    // join, Postgres would work them out for every order it reads before joining)
    text: `WITH ev AS (SELECT id, order_id, actor FROM order_events WHERE id > $1 AND id <= coalesce($4::bigint, 9223372036854775807) ORDER BY id LIMIT $2),
                last AS (SELECT DISTINCT ON (order_id) order_id, actor, id AS event_id FROM ev ORDER BY order_id, id DESC),
                placed AS (
                  UPDATE event_cursors SET last_event_id = (SELECT max(id) FROM ev)
                  WHERE name = $3 AND EXISTS (SELECT 1 FROM ev)
                    AND NOT EXISTS (SELECT 1 FROM orders o LEFT JOIN fiscal_order_states f ON f.order_id = o.id
                                    WHERE o.id = ANY(ARRAY(SELECT order_id FROM last)) AND ${NOT_NOTED})
                  RETURNING 1)
           SELECT h.up_to, h.count, h.placed, ${SNAPSHOT_COLUMNS}, l.actor, ${CHAIN_HEAD}
           FROM (SELECT max(id) AS up_to, count(*)::int AS count, (SELECT count(*) FROM placed)::int AS placed FROM ev) h
           LEFT JOIN (last l JOIN (${SNAPSHOT_FROM}) ON o.id = l.order_id LEFT JOIN fiscal_chains c ON c.chain = 'shop:' || o.pizzeria_id)
             -- the run's orders found by their ids, however many orders there are
             ON o.id = ANY(ARRAY(SELECT order_id FROM last)) AND ${NOT_NOTED}
           ORDER BY l.event_id`,
    values: [afterId, limit, cursor, settled],
  });
  const [first] = rows;
  return { upTo: first.up_to, count: first.count, orders: first.id === null ? [] : rows, placeSaved: first.placed > 0 };
}

/**
 * Errors of an append that met another writer (a head moved since it was read, a fact written
 * meanwhile, two writers waiting for each other): nothing was written, and the run is done again
 * under the heads' locks.
 */
const MET_ANOTHER_WRITER = new Set(['P0001', '23505', '40P01', '40001']);

/**
 * Journals the orders of a run (runAfter) in one statement: what the journal lacks of each,
 * numbered after its shop's head as read, appended; their money noted; and, if given, the
 * journal's place in the events written down with them. No lock is held meanwhile: the database
 * numbers each chain under its head's lock (migration 0066) and refuses an entry that is not the
 * next of its chain or a fact already written, so a writer that came in between (the sweep, a
 * correction, a closing) makes the statement write nothing, and the run is done again with the heads
 * locked first (journalChanged). Returns the entries written and whether the place was written down.
 */
export async function journalRun(db: Db, key: FiscalKey, orders: readonly RunOrder[], cursor?: { name: string; place: number }): Promise<{ written: Entry[]; placeSaved: boolean }> {
  const operators = new Map(orders.map((o) => [o.id, o.actor]));
  const underLocks = async () => ({
    written: await journalChanged(db, key, orders.map((o) => ({ shop: o.pizzeria_id, id: o.id })), operators),
    placeSaved: false,
  });
  if (!orders.length) return { written: [], placeSaved: false };
  // a shop's first entry: its chain is made under the lock
  if (orders.some((o) => o.head_seq === null)) return underLocks();
  const written: Entry[] = [];
  for (const shop of [...new Set(orders.map((o) => o.pizzeria_id))]) {
    const mine = orders.filter((o) => o.pizzeria_id === shop);
    written.push(...shopEntries(shop, mine, headOf(mine[0]), key, operators));
  }
  const values: unknown[] = written.length ? [entriesParam(written)] : [];
  const noted = noteOrders(values.length + 1, values.length + 2);
  values.push(orders.map((o) => o.id), orders.map((o) => o.money_state));
  const parts: string[] = [];
  if (written.length) parts.push(`appended AS (${INSERT_ENTRIES} RETURNING 1)`);
  if (cursor) {
    parts.push(`placed AS (UPDATE event_cursors SET last_event_id = $${values.length + 2} WHERE name = $${values.length + 1} RETURNING 1)`);
    values.push(cursor.name, cursor.place);
  }
  try {
    await db.query({
      name: `fiscal-run${written.length ? '-append' : ''}-note${cursor ? '-place' : ''}`,
      text: `${parts.length ? `WITH ${parts.join(', ')} ` : ''}${noted}`,
      values,
    });
  } catch (err) {
    if (!MET_ANOTHER_WRITER.has((err as { code?: string }).code ?? '')) throw err;
    return underLocks();
  }
  return { written, placeSaved: !!cursor };
}

/** Notes an order's money as it now is as journaled (a correction that wrote its own entry for the change). */
export async function noteOrderMoney(tx: Tx, orderId: string): Promise<void> {
  await tx.query(
    `INSERT INTO fiscal_order_states (order_id, money_state) SELECT o.id, ${MONEY_STATE} FROM orders o WHERE o.id = $1
     ON CONFLICT (order_id) DO UPDATE SET money_state = EXCLUDED.money_state, journaled_at = now()`,
    [orderId],
  );
}

/** Writes into the fiscal journal what these orders' money says and the journal lacks. */
export async function journalOrders(db: Db, key: FiscalKey, orderIds: readonly string[], operators: Map<string, string> = new Map()): Promise<Entry[]> {
  if (!orderIds.length) return [];
  // most events are the kitchen's and the drivers' moves, which change no money
  const { rows } = await db.query<{ shop: number; id: string }>(`${CHANGED_ORDERS} AND o.id = ANY($1)`, [[...new Set(orderIds)]]);
  return journalChanged(db, key, rows, operators);
}

/**
 * Orders of the last `days` business days whose money changed without the journal noting it (no
 * event brought them: a change made outside the services, a journal run that failed), set aside
 * ones whose money changed again since their anomaly included (anomalies.ts sorts them out).
 */
export async function ordersNotJournaled(q: Queryable, days = 2): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT o.id FROM orders o LEFT JOIN fiscal_order_states f ON f.order_id = o.id
     WHERE o.pizzeria_id IN (SELECT id FROM pizzerias) AND o.business_day >= (now() AT TIME ZONE 'Europe/Paris')::date - $1::int
       AND ${HAS_MONEY} AND f.money_state IS DISTINCT FROM ${MONEY_STATE} AND f.anomaly_state IS DISTINCT FROM ${MONEY_STATE}`,
    [days],
  );
  return rows.map((r) => r.id);
}
