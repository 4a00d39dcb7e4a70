// The failover drill's account (scripts/drill.ts): once the evening stops, what every fault cost
// (orders placed, answered, present afterwards) and what the whole evening kept: the orders, each
// screen's events against what the database stored, the money against the provider, the emails,
// the fiscal journal and yesterday's closing; printed as a table. Whether anything was lost,
// duplicated or wrong decides the drill's exit code.
import type pg from 'pg';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import { verifyJournal } from '../src/lib/server/fiscal/verify.ts';
import type { TestSmtp } from '../tests/services.ts';
import type { FakeStripe } from '../tests/stripe-server.ts';
import type { Placed, Screen } from './drill-evening.ts';
import { checkHistory } from './ha/history.ts';

export interface FaultFigures {
  name: string;
  at: number;
  acceptedAgainMs: number | null;
  screensLiveMs: number | null;
  placed: number;
  acknowledged: number;
  present: number;
  refused: number;
}

export interface DrillRecord {
  pool: pg.Pool;
  stripe: FakeStripe;
  smtp: TestSmtp;
  placed: Placed[];
  faults: FaultFigures[];
  screens: Screen[];
  /** The last event before the screens opened. */
  startAfter: number;
  /** Yesterday's closing, asked for every shop while Postgres failed over. */
  closings: Promise<{ shop: string; status: number; tries: number }>[];
  yesterday: string;
  shops: number;
  started: number;
}

const say = (line: string) => console.log(line);

/** Prints the drill's account; whether anything was lost, duplicated or wrong. */
export async function account(d: DrillRecord): Promise<boolean> {
  const orders = await ordersAccount(d);
  const events = await eventsAccount(d);
  const money = await moneyAccount(d, orders.acked);
  const mails = mailsAccount(d);
  const fiscal = await fiscalAccount(d);

  say('');
  say(`## Failover drill — ${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - d.started) / 1000)} s on this machine`);
  say('');
  say('| fault | orders accepted again after | every screen live again after | orders placed | answered 201 | present afterwards | refused |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const f of d.faults) {
    const ms = (v: number | null) => (v === null ? 'not within 90 s' : `${(v / 1000).toFixed(1)} s`);
    say(`| ${f.name} | ${ms(f.acceptedAgainMs)} | ${ms(f.screensLiveMs)} | ${f.placed} | ${f.acknowledged} | ${f.present} | ${f.refused} |`);
  }
  const { placed } = d;
  const { acked, lostOrders, duplicatedOrders } = orders;
  const { totals } = events;
  say('');
  say(`Whole evening: ${placed.length} orders placed, ${acked.length} answered 201, ${lostOrders} of them lost, ${duplicatedOrders} duplicated; ${placed.filter((p) => p.refused).length} refused.`);
  say(`Screens (${d.screens.length}): ${totals.expected} deliveries expected, ${totals.lost} lost, ${totals.duplicated} duplicated, ${totals.outOfOrder} out of order, ${totals.phantom} shown that the database no longer has (and ${totals.republished} shown under an id lost with the leader, the same order version coming again under a new one).`);
  sayGone(d.screens, events.stored);
  for (const r of events.rows.filter((r) => r.lost || r.duplicated || r.outOfOrder || r.phantom))
    say(`  ${r.name}: ${r.expected} expected, ${r.received} received, ${r.lost} lost, ${r.duplicated} duplicated, ${r.outOfOrder} out of order, ${r.phantom} no longer in the database`);
  say(`Money: ${money.cards} card orders, ${money.capturedCards} captured at the provider (${money.captureCalls} capture calls), ${money.wrong.length} differing from the ledger.`);
  for (const w of money.wrong.slice(0, 10)) say(`  ${w}`);
  const { journal, closed, perShop } = fiscal;
  const closedOnce = perShop.length === d.shops && perShop.every((n) => n === 1);
  say(`Fiscal journal: ${journal.chains.length} chains, ${journal.ok ? 'all whole' : 'BROKEN'}; yesterday's closing asked during the Postgres failover for ${closed.length} shops (answers ${closed.map((c) => `${c.status}${c.tries > 1 ? ` after ${c.tries} tries` : ''}`).join(', ')}), closed once in each: ${closedOnce ? 'yes' : `NO (${perShop.join(', ')})`}.`);
  say(`Messages: ${d.smtp.inbox.length} emails, ${mails.twice.length} sent twice.`);
  for (const [k, v] of mails.twice.slice(0, 10)) say(`  ${v} times: ${k}`);
  for (const p of placed.filter((p) => p.refused).slice(0, 5)) say(`  refused: ${p.way} ${p.refused}`);
  return !journal.ok || perShop.length !== d.shops || perShop.some((n) => n !== 1) || closed.some((c) => c.status !== 200) || lostOrders > 0 || duplicatedOrders > 0 || totals.lost > 0 || totals.duplicated > 0 || totals.outOfOrder > 0 || totals.phantom > 0 || money.wrong.length > 0 || mails.twice.length > 0;
}

/** The orders: those answered 201, lost or duplicated, and each fault's share (its window: until the next fault). */
async function ordersAccount({ pool, placed, faults }: DrillRecord) {
  const acked = placed.filter((p) => p.id);
  const present = new Set(
    (await pool.query<{ id: string }>('SELECT id FROM orders WHERE id = ANY($1::uuid[])', [acked.map((p) => p.id)])).rows.map((r) => r.id),
  );
  // a duplicate is an order more than one for a placing: each placing has its own email
  const perEmail = (await pool.query<{ email: string; n: string }>("SELECT customer_email AS email, count(*) AS n FROM orders WHERE customer_email LIKE 'drill-%' GROUP BY 1")).rows;
  const duplicatedOrders = perEmail.filter((r) => Number(r.n) > 1).length;
  const windows = faults.map((f, i) => [f.at, faults[i + 1]?.at ?? Infinity] as const);
  faults.forEach((f, i) => {
    const inWindow = placed.filter((p) => p.sentAt >= windows[i][0] && p.sentAt < windows[i][1]);
    Object.assign(f, {
      placed: inWindow.length,
      acknowledged: inWindow.filter((p) => p.id).length,
      present: inWindow.filter((p) => p.id && present.has(p.id)).length,
      refused: inWindow.filter((p) => p.refused).length,
    });
  });
  const lostOrders = acked.filter((p) => !present.has(p.id!)).length;
  return { acked, lostOrders, duplicatedOrders };
}

/** Events: each screen against what the database stored for it after its start. */
async function eventsAccount({ pool, screens, startAfter }: DrillRecord) {
  const stored = (await pool.query<{ id: string; pizzeria_id: number }>('SELECT id, pizzeria_id FROM order_events WHERE id > $1 ORDER BY id', [startAfter])).rows.map((r) => ({
    id: Number(r.id),
    shop: r.pizzeria_id,
  }));
  const rows = screens.map((s) => {
    const expected = stored.filter((e) => s.pizzeriaId === null || e.shop === s.pizzeriaId).map((e) => e.id);
    const got = s.received.map((r) => r.e.eventId);
    const h = checkHistory(got, expected);
    const [lost, duplicated, outOfOrder] = [h.lost.length, h.duplicated.length, h.outOfOrder.length];
    // events a screen was shown that the database no longer has (written on a leader that died before its standby had them)
    const storedIds = new Set(expected);
    // a publish cut by the leader's death and published again (publishes do not wait for the standby,
    // migration 0030) shows the same order version under a new id: counted apart, kept once by the screen
    const again = (id: number) => {
      const e = s.received.find((r) => r.e.eventId === id)!.e;
      return s.received.some((r) => storedIds.has(r.e.eventId) && r.e.order.id === e.order.id && r.e.order.version === e.order.version);
    };
    const gone = [...new Set(got.filter((id) => !storedIds.has(id)))];
    const phantom = gone.filter((id) => !again(id)).length;
    const republished = gone.length - phantom;
    return { name: s.name, expected: expected.length, received: got.length, lost, duplicated, outOfOrder, phantom, republished };
  });
  const totals = rows.reduce(
    (t, r) => ({ expected: t.expected + r.expected, lost: t.lost + r.lost, duplicated: t.duplicated + r.duplicated, outOfOrder: t.outOfOrder + r.outOfOrder, phantom: t.phantom + r.phantom, republished: t.republished + r.republished }),
    { expected: 0, lost: 0, duplicated: 0, outOfOrder: 0, phantom: 0, republished: 0 },
  );
  return { stored, rows, totals };
}

/** Each event shown that the database no longer has: what it was, and whether the same order version came again under another id. */
function sayGone(screens: Screen[], stored: { id: number }[]) {
  const storedSet = new Set(stored.map((e) => e.id));
  const shown = new Map<number, OrderUpdated>();
  for (const sc of screens) for (const r of sc.received) if (!storedSet.has(r.e.eventId)) shown.set(r.e.eventId, r.e);
  for (const e of shown.values()) {
    const again = screens.flatMap((sc) => sc.received).find((r) => storedSet.has(r.e.eventId) && r.e.order.id === e.order.id && r.e.order.version === e.order.version);
    say(`  event #${e.eventId} (${e.type}, order ${e.order.number} version ${e.order.version}, at ${e.at}) is not in the database${again ? `; the same version came again as #${again.e.eventId} (${again.e.type})` : '; that version never came again'}`);
  }
}

/** Money: every card order as the provider has it, against the ledger. */
async function moneyAccount({ pool, stripe }: DrillRecord, acked: Placed[]) {
  const cards = acked.filter((p) => p.way === 'pickup-card');
  const ledger = new Map<string, { captured: number; released: number; authorised: number }>();
  for (const r of (await pool.query<{ order_id: string; kind: string; total: string }>(
    'SELECT order_id, kind, sum(amount_cents) AS total FROM payment_movements WHERE order_id = ANY($1::uuid[]) GROUP BY 1, 2',
    [cards.map((p) => p.id)],
  )).rows) {
    const m = ledger.get(r.order_id) ?? { captured: 0, released: 0, authorised: 0 };
    (m as Record<string, number>)[r.kind] = Number(r.total);
    ledger.set(r.order_id, m);
  }
  const wrong: string[] = [];
  for (const p of cards) {
    const intent = stripe.intentOf(p.id!);
    const m = ledger.get(p.id!) ?? { captured: 0, released: 0, authorised: 0 };
    if (!intent) wrong.push(`${p.id}: no payment at the provider`);
    else if (intent.amount_received !== m.captured) wrong.push(`${p.id}: provider took ${intent.amount_received}, ledger says ${m.captured}`);
    else if (intent.status === 'succeeded' && intent.amount_received !== p.total) wrong.push(`${p.id}: took ${intent.amount_received} of ${p.total}`);
  }
  const capturedCards = cards.filter((p) => stripe.intentOf(p.id!)?.status === 'succeeded').length;
  const captureCalls = stripe.calls.filter((c) => c.path.endsWith('/capture')).length;
  return { cards: cards.length, capturedCards, captureCalls, wrong };
}

/** Messages: each email once (a placing has its own address; the same subject twice is a duplicate). */
function mailsAccount({ smtp }: DrillRecord) {
  const mails = new Map<string, number>();
  for (const m of smtp.inbox) {
    const to = (Array.isArray(m.to) ? m.to[0] : m.to)?.text ?? '';
    const k = `${to}|${m.subject}`;
    mails.set(k, (mails.get(k) ?? 0) + 1);
  }
  return { twice: [...mails.entries()].filter(([, v]) => v > 1) };
}

/** The fiscal journal: every chain whole after the faults, and yesterday closed once per shop. */
async function fiscalAccount({ pool, closings, yesterday }: DrillRecord) {
  const closed = await Promise.all(closings);
  const perShop = (await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM fiscal_entries WHERE kind = 'closing' AND body->>'level' = 'day' AND body->'period'->>'key' = $1 GROUP BY chain",
    [yesterday],
  )).rows.map((r) => Number(r.n));
  const journal = await verifyJournal(pool);
  return { closed, perShop, journal };
}
