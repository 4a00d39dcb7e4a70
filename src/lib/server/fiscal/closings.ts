// A shop's closings in its fiscal chain: a day's, then a month's and a fiscal year's, each a signed
// entry (kind 'closing') with its totals per VAT rate, per payment way, its counts and the perpetual
// grand totals since the shop's first sale, and a 'closing' event in the technical events journal
// (JET), both in one transaction under the chain's lock. What a closing covers is the rule of
// src/lib/domain/fiscal-closing.ts. A closing is never made again nor reopened: days are closed one
// after the other, from the day after the last one closed, so closing a day already closed writes
// nothing (and each closing's source key is unique besides).
//
// The takings page reads a day through the same rule (dayOfJournal): a closed day is what its
// closing covers; a day still open is what its closing would cover now.
import { JET_CHAIN, isoTime, shopChain, type ChainHead, type Entry } from '../../domain/fiscal-chain.ts';
import {
  addTotals, CLOSING_RULE, daysFrom, emptyTotals, nextDay, periodsClosedBy, seqRanges, splitByDay, sumTotals, totalsOf,
  SALE_BODY_KINDS, SALE_CHANGING_KINDS, type ClosingLevel, type ClosingTotals, type Period, type TotalsEntry,
} from '../../domain/fiscal-closing.ts';
import { sqlList } from '../../domain/order-states.ts';
import { can, may } from '../../domain/permissions.ts';
import { canActOnShop, type StaffActor } from '../../domain/actors.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { forbidden, invalid, notFound } from '../kernel/errors.ts';
import { appendEntries, lockChains } from './journal.ts';
import { appendJetIn } from './jet.ts';
import type { FiscalKey } from './keys.ts';
import { CHANGED_ORDERS, journalChanged } from './order-facts.ts';
import { recordKeyOnce } from './signing.ts';
import { archiveClosedYears } from './year-archives.ts';

/** An entry's day: its order's business day; without an order, the Paris date of its time. */
export const ENTRY_DAY = `coalesce((e.body->'order'->>'businessDay')::date, (e.occurred_at AT TIME ZONE 'Europe/Paris')::date)`;

/** What a closing says (its body), with its place in the chain. */
export interface Closing {
  seq: number;
  level: ClosingLevel;
  period: { from: string; to: string; key: string };
  closedAt: string;
  operator: string;
  covers: {
    rule?: string;
    throughSeq?: number;
    previous?: number | null;
    entries: number;
    ranges?: [number, number][];
    pending?: number[];
    closings?: number[];
  };
  totals: ClosingTotals;
  perpetual: ClosingTotals;
  signature: string;
}

interface ClosingRow {
  seq: number;
  body: Omit<Closing, 'seq' | 'closedAt' | 'operator' | 'signature'>;
  occurred_at: Date;
  operator: string;
  signature: string;
}

const closingOf = (r: ClosingRow): Closing => ({ ...r.body, seq: r.seq, closedAt: isoTime(r.occurred_at), operator: r.operator, signature: r.signature });
const CLOSING_COLUMNS = 'e.seq, e.body, e.occurred_at, e.operator, e.signature';

/** The source key of a shop's closing of a period (and, prefixed, of its JET event). */
export const closingKey = (shopId: number, p: Pick<Period, 'level' | 'key'>) => `closing:shop:${shopId}:${p.level}:${p.key}`;

/** The last closing of a level in a chain. */
async function lastClosing(q: Queryable, chain: string, level: ClosingLevel): Promise<Closing | null> {
  const { rows } = await q.query<ClosingRow>(
    `SELECT ${CLOSING_COLUMNS} FROM fiscal_entries e WHERE e.chain = $1 AND e.kind = 'closing' AND e.body->>'level' = $2 ORDER BY e.seq DESC LIMIT 1`,
    [chain, level],
  );
  return rows[0] ? closingOf(rows[0]) : null;
}

async function closingBySeq(q: Queryable, chain: string, seq: number): Promise<Closing | null> {
  const { rows } = await q.query<ClosingRow>(`SELECT ${CLOSING_COLUMNS} FROM fiscal_entries e WHERE e.chain = $1 AND e.seq = $2 AND e.kind = 'closing'`, [chain, seq]);
  return rows[0] ? closingOf(rows[0]) : null;
}

async function closingByKey(q: Queryable, sourceKey: string): Promise<Closing | null> {
  const { rows } = await q.query<ClosingRow>(`SELECT ${CLOSING_COLUMNS} FROM fiscal_entries e WHERE e.source_key = $1 AND e.kind = 'closing'`, [sourceKey]);
  return rows[0] ? closingOf(rows[0]) : null;
}

/** An entry as the totals read it, with its day and number. */
type DayEntry = TotalsEntry & { seq: number; day: string };

/**
 * The chain's entries (closings aside) matching `where` ($1 the chain), with their day and, for a
 * correction or a cancellation, its order's sale statement before it (what it changes).
 */
async function entriesWhere(q: Queryable, where: string, values: unknown[]): Promise<DayEntry[]> {
  const { rows } = await q.query<{ seq: number; kind: string; sales_cents: number; vat_cents: number; money_cents: number; body: Record<string, any>; day: string; prev: Record<string, any> | null }>(
    `SELECT e.seq, e.kind, e.sales_cents, e.vat_cents, e.money_cents, e.body, (${ENTRY_DAY})::text AS day,
       CASE WHEN e.kind IN (${sqlList(SALE_CHANGING_KINDS)}) THEN (
         SELECT p.body FROM fiscal_entries p WHERE p.order_id = e.order_id AND p.chain = e.chain AND p.seq < e.seq AND p.kind IN (${sqlList(SALE_BODY_KINDS)})
         ORDER BY p.seq DESC LIMIT 1) END AS prev
     FROM fiscal_entries e WHERE e.chain = $1 AND e.kind <> 'closing' AND (${where}) ORDER BY e.seq`,
    values,
  );
  return rows.map((r) => ({ seq: r.seq, kind: r.kind, salesCents: r.sales_cents, vatCents: r.vat_cents, moneyCents: r.money_cents, body: r.body, prev: r.prev, day: r.day }));
}

/** The entries no day's closing covered yet: after the last one's throughSeq, or left by it for later. */
const notCovered = (q: Queryable, chain: string, last: Closing | null, extra = 'true', values: unknown[] = []) =>
  entriesWhere(q, `(e.seq > $2 OR e.seq = ANY($3::bigint[])) AND ${extra}`, [chain, last?.covers.throughSeq ?? 0, last?.covers.pending ?? [], ...values]);

/** The day of the chain's first entry (closings aside), or null when it has none. */
async function firstDay(q: Queryable, chain: string): Promise<string | null> {
  const { rows } = await q.query<{ day: string | null }>(`SELECT min(${ENTRY_DAY})::text AS day FROM fiscal_entries e WHERE e.chain = $1 AND e.kind <> 'closing'`, [chain]);
  return rows[0]?.day ?? null;
}

interface ShopRef {
  id: number;
  slug: string;
  name: string;
}

/** Appends one closing to the shop's chain (whose head the transaction holds) and its event to the JET. */
async function appendClosing(tx: Tx, key: FiscalKey, shop: ShopRef, period: Period, content: { covers: Closing['covers']; totals: ClosingTotals; perpetual: ClosingTotals }, operator: string, head: ChainHead) {
  const chain = shopChain(shop.id);
  const sourceKey = closingKey(shop.id, period);
  const now = isoTime(Date.now());
  const body = { level: period.level, period: { from: period.from, to: period.to, key: period.key }, shop: { id: shop.id, slug: shop.slug, name: shop.name }, ...content };
  const { entries, head: next } = await appendEntries(tx, chain, head, [{
    kind: 'closing', sourceKey, occurredAt: now, operator, orderId: null, body: body as never, salesCents: 0, vatCents: 0, moneyCents: 0,
  }], key);
  const entry = entries[0];
  if (!entry) throw new Error(`fiscal closing ${sourceKey} is already in the journal`);
  await appendJetIn(tx, key, {
    kind: 'closing', sourceKey, operator, occurredAt: now,
    body: { chain, seq: entry.seq, level: period.level, from: period.from, to: period.to, signature: entry.signature, salesCents: content.totals.salesCents, perpetualSalesCents: content.perpetual.salesCents, perpetualAbsoluteCents: content.perpetual.absoluteCents ?? 0 },
  });
  return { entry, head: next };
}

export interface ClosingRun {
  /** The closings written (days, then a month's or a year's when a day ends them). */
  written: Entry[];
  /** The last day closed now or before (null: nothing to close yet). */
  lastDay: string | null;
}

/**
 * Closes the shop's days that are not closed yet, up to `upTo` (a Paris date) included, one after
 * the other, each followed by its month's and fiscal year's closing when it ends them. Nothing is
 * written for a day already closed. Signs with `key` (recorded in the JET first).
 */
export async function closeDaysUpTo(db: Db, key: FiscalKey, shopId: number, upTo: string, opts: { operator: string; yearStartMonth: number }): Promise<ClosingRun> {
  await recordKeyOnce(db, key);
  const chain = shopChain(shopId);
  return transaction(db, async (tx) => {
    // the shop's chain then the JET, in the order every appender takes them
    const heads = await lockChains(tx, [chain, JET_CHAIN]);
    let head = heads.get(chain)!;
    const last = await lastClosing(tx, chain, 'day');
    const start = last ? nextDay(last.period.to) : await firstDay(tx, chain);
    if (!start || start > upTo) return { written: [], lastDay: last?.period.to ?? null };
    const shop = (await tx.query<ShopRef>('SELECT id, slug, name FROM pizzerias WHERE id = $1', [shopId])).rows[0];
    if (!shop) throw notFound('pizzeria');
    let candidates = await notCovered(tx, chain, last);
    let perpetual = last?.perpetual ?? emptyTotals();
    let previous = last?.seq ?? null;
    const written: Entry[] = [];
    for (const day of daysFrom(start, upTo)) {
      const { covered, pending } = splitByDay(candidates, day);
      const totals = totalsOf(covered);
      perpetual = addTotals(perpetual, totals);
      const covers = {
        rule: CLOSING_RULE, throughSeq: head.lastSeq, previous, entries: covered.length,
        ranges: seqRanges(covered.map((e) => e.seq)), pending: pending.map((e) => e.seq),
      };
      const made = await appendClosing(tx, key, shop, periodsClosedBy(day)[0], { covers, totals, perpetual }, opts.operator, head);
      written.push(made.entry);
      head = made.head;
      previous = made.entry.seq;
      // entries after this closing's throughSeq are its own entry only: what it left for later is what remains
      candidates = pending;
      for (const period of periodsClosedBy(day, opts.yearStartMonth).slice(1)) {
        const longer = await closeLonger(tx, key, shop, period, opts.operator, head);
        written.push(longer.entry);
        head = longer.head;
      }
    }
    return { written, lastDay: upTo };
  });
}

/** A month's closing (of its days' closings) or a fiscal year's (of its months'). */
async function closeLonger(tx: Tx, key: FiscalKey, shop: ShopRef, period: Period, operator: string, head: ChainHead) {
  const chain = shopChain(shop.id);
  const partLevel = period.level === 'month' ? 'day' : 'month';
  const { rows } = await tx.query<ClosingRow>(
    `SELECT ${CLOSING_COLUMNS} FROM fiscal_entries e WHERE e.chain = $1 AND e.kind = 'closing' AND e.body->>'level' = $2
       AND e.body->'period'->>'from' BETWEEN $3 AND $4 ORDER BY e.seq`,
    [chain, partLevel, period.from, period.to],
  );
  const parts = rows.map(closingOf);
  const totals = sumTotals(parts.map((p) => p.totals));
  const before = await lastClosing(tx, chain, period.level);
  const perpetual = addTotals(before?.perpetual ?? emptyTotals(), totals);
  const covers = { entries: totals.entries, closings: parts.map((p) => p.seq), previous: before?.seq ?? null };
  return appendClosing(tx, key, shop, period, { covers, totals, perpetual }, operator, head);
}

/** Today's date in Paris, and the hour there, at `now`. */
async function parisNow(q: Queryable, now: Date): Promise<{ today: string; hour: number }> {
  const { rows } = await q.query<{ today: string; hour: number }>(
    `SELECT ($1::timestamptz AT TIME ZONE 'Europe/Paris')::date::text AS today, extract(hour FROM $1::timestamptz AT TIME ZONE 'Europe/Paris')::int AS hour`,
    [now],
  );
  return rows[0];
}

export interface ClosingSettings {
  /** FISCAL_CLOSING_HOUR: the hour, Paris time, a day that is over is closed. */
  closingHour: number;
  /** FISCAL_YEAR_START_MONTH. */
  yearStartMonth: number;
}

/** The last day due to be closed at `now`: yesterday once the closing hour has come, else the day before. */
export async function lastDayDue(q: Queryable, closingHour: number, now = new Date()): Promise<string> {
  const { today, hour } = await parisNow(q, now);
  return nextDay(today, hour >= closingHour ? -1 : -2);
}

/** The workers' daily run: every shop with a fiscal chain (or those given) closed up to the last day due at `now`. */
export async function closeDueDays(db: Db, key: FiscalKey, settings: ClosingSettings, opts: { now?: Date; shops?: number[] } = {}): Promise<{ shops: number; upTo: string; written: Entry[] }> {
  const upTo = await lastDayDue(db, settings.closingHour, opts.now);
  const { rows } = await db.query<{ id: number }>(
    'SELECT pizzeria_id AS id FROM fiscal_chains WHERE pizzeria_id IS NOT NULL AND ($1::int[] IS NULL OR pizzeria_id = ANY($1)) ORDER BY pizzeria_id',
    [opts.shops ?? null],
  );
  const written: Entry[] = [];
  for (const { id } of rows) {
    const run = await closeDaysUpTo(db, key, id, upTo, { operator: 'system', yearStartMonth: settings.yearStartMonth });
    await archiveClosedYears(db, key, id, run.written, 'system');
    written.push(...run.written);
  }
  return { shops: rows.length, upTo, written };
}

/** Who may read or make a shop's closings: its manager, head office. */
export function checkClosingsReader(actor: StaffActor, pizzeriaId: number): void {
  if (!may(actor.role, can.runShop)) throw forbidden('closings are for managers and head office');
  if (!canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

/**
 * A manager closes a day that is over (before today in Paris), and any day before it not closed yet.
 * A day already closed is not closed again: its closing is returned, nothing is written.
 */
export async function closeDayOnDemand(db: Db, key: FiscalKey, actor: StaffActor, pizzeriaId: number, day: string, yearStartMonth: number): Promise<{ closing: Closing | null; written: number }> {
  checkClosingsReader(actor, pizzeriaId);
  if (!(await db.query('SELECT 1 FROM pizzerias WHERE id = $1', [pizzeriaId])).rowCount) throw notFound('pizzeria');
  const { today } = await parisNow(db, new Date());
  if (day >= today) throw invalid({ day: 'this day is not over yet: it can be closed from tomorrow' });
  const run = await closeDaysUpTo(db, key, pizzeriaId, day, { operator: `${actor.role}:${actor.id}`, yearStartMonth });
  await archiveClosedYears(db, key, pizzeriaId, run.written, `${actor.role}:${actor.id}`);
  const closing = await closingByKey(db, closingKey(pizzeriaId, { level: 'day', key: day }));
  return { closing, written: run.written.length };
}

/** A shop's closings, newest first (the last `limit` of each level). */
export async function closingsOfShop(q: Queryable, pizzeriaId: number, limit = 62): Promise<Record<ClosingLevel, Closing[]>> {
  const { rows } = await q.query<ClosingRow & { level: ClosingLevel }>(
    `SELECT * FROM (
       SELECT ${CLOSING_COLUMNS}, e.body->>'level' AS level, row_number() OVER (PARTITION BY e.body->>'level' ORDER BY e.seq DESC) AS n
       FROM fiscal_entries e WHERE e.chain = $1 AND e.kind = 'closing'
     ) c WHERE n <= $2 ORDER BY seq DESC`,
    [shopChain(pizzeriaId), limit],
  );
  const out: Record<ClosingLevel, Closing[]> = { day: [], month: [], year: [] };
  for (const r of rows) out[r.level]?.push(closingOf(r));
  return out;
}

export interface JournalDay {
  day: string;
  /** The day's closing, when it is closed. */
  closing: Closing | null;
  /** What the journal says of the day: its closing's entries, or (open) what its closing would cover now. */
  totals: ClosingTotals;
  /** The last day closed (null: none yet). */
  lastClosed: string | null;
}

/** One shop's day as the journal has it (the rule of its closing). */
export async function dayOfJournal(q: Queryable, pizzeriaId: number, day: string): Promise<JournalDay> {
  const chain = shopChain(pizzeriaId);
  const last = await lastClosing(q, chain, 'day');
  const lastClosed = last?.period.to ?? null;
  if (last && day <= last.period.to) {
    const closing = await closingByKey(q, closingKey(pizzeriaId, { level: 'day', key: day }));
    // a day before the shop's first entry was never closed: nothing happened on it
    if (!closing) return { day, closing: null, totals: emptyTotals(), lastClosed };
    const before = closing.covers.previous ? await closingBySeq(q, chain, closing.covers.previous) : null;
    const covered = await entriesWhere(
      q,
      `((e.seq > $2 AND e.seq <= $3) OR e.seq = ANY($4::bigint[])) AND ${ENTRY_DAY} <= $5::date`,
      [chain, before?.covers.throughSeq ?? 0, closing.covers.throughSeq ?? 0, before?.covers.pending ?? [], day],
    );
    return { day, closing, totals: totalsOf(covered), lastClosed };
  }
  // open: what its closing would cover, the entries written late for days already closed with the first open day's
  const firstOpen = last ? nextDay(last.period.to) : null;
  const open = await notCovered(q, chain, last, `greatest(${ENTRY_DAY}, coalesce($4::date, '-infinity'::date)) = $5::date`, [firstOpen, day]);
  return { day, closing: null, totals: totalsOf(open), lastClosed };
}

/** Whether a day is still open in a shop's journal (not closed), so that what it holds may still change. */
export async function dayIsOpen(q: Queryable, pizzeriaId: number, day: string): Promise<boolean> {
  const last = await lastClosing(q, shopChain(pizzeriaId), 'day');
  return !last || day > last.period.to;
}


/**
 * Before a day is read from the journal: what the shops' orders of that day (and the two before,
 * whose late changes count on the first open day) say and the journal lacks is written now, as the
 * workers' journal would within a second, so that the page shows the journal as it will stay.
 * Nothing is written for a shop whose day is closed (it no longer changes).
 */
export async function bringDayUpToDate(db: Db, key: FiscalKey, pizzeriaIds: readonly number[], day: string): Promise<Entry[]> {
  const open: number[] = [];
  for (const id of pizzeriaIds) if (await dayIsOpen(db, id, day)) open.push(id);
  if (!open.length) return [];
  const { rows } = await db.query<{ shop: number; id: string }>(
    `${CHANGED_ORDERS} AND o.pizzeria_id = ANY($1) AND o.business_day BETWEEN $2::date - 2 AND $2::date`,
    [open, day],
  );
  if (!rows.length) return [];
  await recordKeyOnce(db, key);
  return journalChanged(db, key, rows);
}

export interface FiscalOverview {
  shop: ShopRef;
  today: string;
  /** The last day closed (null: none yet). */
  lastClosed: string | null;
  closings: Record<ClosingLevel, Closing[]>;
  /** The day in progress, as its closing would cover it now. */
  running: JournalDay;
  /** A day that is over and not closed yet (the one a manager may close now), with its figures; null when none. */
  toClose: JournalDay | null;
}

/**
 * What the closings page shows of a shop: its closings of each level, the day in progress, and the
 * day that is over and not closed yet (with `key`, both brought up to date first).
 */
export async function fiscalOverview(db: Db, actor: StaffActor, pizzeriaId: number, opts: { key?: FiscalKey } = {}): Promise<FiscalOverview> {
  checkClosingsReader(actor, pizzeriaId);
  const shop = (await db.query<ShopRef>('SELECT id, slug, name FROM pizzerias WHERE id = $1', [pizzeriaId])).rows[0];
  if (!shop) throw notFound('pizzeria');
  const { today } = await parisNow(db, new Date());
  const yesterday = nextDay(today, -1);
  if (opts.key) {
    await bringDayUpToDate(db, opts.key, [pizzeriaId], yesterday);
    await bringDayUpToDate(db, opts.key, [pizzeriaId], today);
  }
  const chain = shopChain(pizzeriaId);
  const [closings, running, last] = await Promise.all([closingsOfShop(db, pizzeriaId), dayOfJournal(db, pizzeriaId, today), lastClosing(db, chain, 'day')]);
  const lastClosed = last?.period.to ?? null;
  // before its first closing, a shop has days to close once its first entry's day is over
  const first = last ? null : await firstDay(db, chain);
  const open = last ? last.period.to < yesterday : first !== null && first <= yesterday;
  return { shop, today, lastClosed, closings, running, toClose: open ? await dayOfJournal(db, pizzeriaId, yesterday) : null };
}

/** A shop's closings at a glance, for head office's view of every shop (chainClosings). */
export interface ShopClosingState {
  shop: ShopRef;
  /** The last day closed (null: none yet). */
  lastClosed: string | null;
  /** The first day over and not closed yet (null: closed up to yesterday, or nothing sold yet). */
  openSince: string | null;
  /** The perpetual grand totals at its last day's closing, signed (net sales) and in absolute value; null: no closing yet. */
  perpetual: { netSalesCents: number; absoluteCents: number } | null;
}

/**
 * Every shop's closings at a glance (head office): the last day closed, the first day left to close,
 * and the perpetual grand totals its last closing signed. One statement for the chain: each shop's
 * last day closing by the closings' index, a shop's first day only where it has no closing yet.
 */
export async function chainClosings(db: Queryable, actor: StaffActor): Promise<ShopClosingState[]> {
  if (!may(actor.role, can.runChain)) throw forbidden("every shop's closings are head office's");
  const { today } = await parisNow(db, new Date());
  const yesterday = nextDay(today, -1);
  const { rows } = await db.query<{ id: number; slug: string; name: string; last: Omit<Closing, 'seq' | 'closedAt' | 'operator' | 'signature'> | null; first: string | null }>(
    `SELECT p.id, p.slug, p.name, c.body AS last,
       CASE WHEN c.body IS NULL THEN (SELECT min(${ENTRY_DAY})::text FROM fiscal_entries e WHERE e.chain = 'shop:' || p.id AND e.kind <> 'closing') END AS first
     FROM pizzerias p
     LEFT JOIN LATERAL (
       SELECT e.body FROM fiscal_entries e WHERE e.chain = 'shop:' || p.id AND e.kind = 'closing' AND e.body->>'level' = 'day' ORDER BY e.seq DESC LIMIT 1
     ) c ON true
     WHERE NOT p.training ORDER BY p.name`,
  );
  return rows.map((r) => {
    const lastClosed = r.last?.period.to ?? null;
    const next = lastClosed ? nextDay(lastClosed) : r.first;
    return {
      shop: { id: r.id, slug: r.slug, name: r.name },
      lastClosed,
      openSince: next !== null && next <= yesterday ? next : null,
      perpetual: r.last ? { netSalesCents: r.last.perpetual.netSalesCents, absoluteCents: r.last.perpetual.absoluteCents ?? 0 } : null,
    };
  });
}
