// The failover drill's account (scripts/drill.ts): once the evening stops, what every fault cost
// (orders placed, answered, present afterwards) and what the whole evening kept: the orders, each
// screen's events against what the database stored, the money against the provider, the emails,
// the fiscal journal and yesterday's closing, the card payments' webhooks and the sessions that
// waited on a lock; printed as a table. Whether anything was lost, duplicated, missing, late or
// wrong decides the drill's exit code.
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
  /** A Redis fault: how long after the promotion every server answered its /readyz (null: not within 90 s). */
  readyAfterPromotionMs?: number | null;
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
  /** Yesterday's closing, asked for every shop during the first fault. */
  closings: Promise<{ shop: string; status: number; tries: number }>[];
  yesterday: string;
  shops: number;
  started: number;
  /** The longest wait on a lock and the longest transaction left idle that Postgres showed (watchSessions). */
  sessions: SessionsWorst;
  /** How soon after a Redis promotion every server must be ready. */
  readyLimitMs: number;
  /** How long a workers process killed mid-send holds a message (the cluster's MESSAGE_CLAIM_LEASE_SECONDS). */
  claimLeaseSeconds: number;
}

/** A card payment must be recorded this soon after its webhook was answered 2xx (issue 57). */
const WEBHOOK_LIMIT_MS = 30_000;
/** No session may wait on a lock, or sit idle in its transaction, longer (the wedge of issue 57 held them for minutes). */
const SESSION_LIMIT_S = 5;

export interface SessionsWorst {
  lockWaitS: number;
  idleInTransactionS: number;
  /** What the longest lock wait was running. */
  lockQuery: string;
}

/**
 * Postgres' sessions of the product, looked at every half second as an operator's monitoring would
 * (pg_stat_activity, through HAProxy: whichever node leads): the longest a statement had been
 * waiting on a lock (from its start: an upper bound), and the longest a transaction sat idle.
 */
export function watchSessions(pool: pg.Pool): { worst: SessionsWorst; stop(): void } {
  const worst: SessionsWorst = { lockWaitS: 0, idleInTransactionS: 0, lockQuery: '' };
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const r = await pool.query<{ wait: number | null; idle: number | null; query: string | null }>(
        `SELECT max(extract(epoch FROM now() - query_start)) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') AS wait,
                max(extract(epoch FROM now() - state_change)) FILTER (WHERE state = 'idle in transaction') AS idle,
                (array_agg(left(query, 120) ORDER BY query_start) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock'))[1] AS query
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      ).catch(() => null);
      const row = r?.rows[0];
      if (row?.wait && Number(row.wait) > worst.lockWaitS) Object.assign(worst, { lockWaitS: Number(row.wait), lockQuery: row.query ?? '' });
      if (row?.idle && Number(row.idle) > worst.idleInTransactionS) worst.idleInTransactionS = Number(row.idle);
      await new Promise((res) => setTimeout(res, 500));
    }
  })();
  return { worst, stop: () => void (stopped = true) };
}

const say = (line: string) => console.log(line);

/** Prints the drill's account; whether anything was lost, duplicated or wrong. */
export async function account(d: DrillRecord): Promise<boolean> {
  const orders = await ordersAccount(d);
  const events = await eventsAccount(d);
  const money = await moneyAccount(d, orders.acked);
  const webhooks = await webhooksAccount(d, orders.acked);
  const mails = await mailsAccount(d, orders.acked);
  const fiscal = await fiscalAccount(d);

  say('');
  say(`## Failover drill — ${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - d.started) / 1000)} s on this machine`);
  say('');
  const promotions = d.faults.some((f) => f.readyAfterPromotionMs !== undefined);
  say(`| fault | orders accepted again after | every screen live again after |${promotions ? ' every server ready after the promotion |' : ''} orders placed | answered 201 or 200 | present afterwards | refused |`);
  say(`| --- | --- | --- |${promotions ? ' --- |' : ''} --- | --- | --- | --- |`);
  const ms = (v: number | null | undefined) => (v === undefined ? '' : v === null ? 'not within 90 s' : `${(v / 1000).toFixed(1)} s`);
  for (const f of d.faults)
    say(`| ${f.name} | ${ms(f.acceptedAgainMs)} | ${ms(f.screensLiveMs)} |${promotions ? ` ${ms(f.readyAfterPromotionMs)} |` : ''} ${f.placed} | ${f.acknowledged} | ${f.present} | ${f.refused} |`);
  const notReady = d.faults.filter((f) => f.readyAfterPromotionMs === null || (f.readyAfterPromotionMs ?? 0) > d.readyLimitMs);
  const { placed } = d;
  const { acked, lostOrders, duplicatedOrders } = orders;
  const { totals } = events;
  say('');
  const refused = placed.filter((p) => p.refused).length;
  say(`Whole evening: ${placed.length} orders placed, ${acked.length} answered (${acked.filter((p) => p.replayed).length} of them 200, a replay of a try whose answer was lost), ${lostOrders} of them lost, ${duplicatedOrders} duplicated; ${refused} refused.`);
  say(`Screens (${d.screens.length}): ${totals.expected} deliveries expected, ${totals.lost} lost, ${totals.duplicated} duplicated, ${totals.outOfOrder} out of order, ${totals.phantom} shown that the database does not hold as shown.`);
  sayGone(d.screens, events.stored);
  for (const r of events.rows.filter((r) => r.lost || r.duplicated || r.outOfOrder || r.phantom))
    say(`  ${r.name}: ${r.expected} expected, ${r.received} received, ${r.lost} lost, ${r.duplicated} duplicated, ${r.outOfOrder} out of order, ${r.phantom} not in the database as shown`);
  say(`Money: ${money.cards} card orders, ${money.capturedCards} captured at the provider (${money.captureCalls} capture calls), ${money.wrong.length} differing from the ledger.`);
  for (const w of money.wrong.slice(0, 10)) say(`  ${w}`);
  const { journal, closed, perShop } = fiscal;
  const closedOnce = perShop.length === d.shops && perShop.every((n) => n === 1);
  say(`Fiscal journal: ${journal.chains.length} chains, ${journal.ok ? 'all whole' : 'BROKEN'}; yesterday's closing asked during the first fault for ${closed.length} shops (answers ${closed.map((c) => `${c.status}${c.tries > 1 ? ` after ${c.tries} tries` : ''}`).join(', ')}), closed once in each: ${closedOnce ? 'yes' : `NO (${perShop.join(', ')})`}.`);
  say(`Messages: ${d.smtp.inbox.length} emails, ${mails.twice.length} sent twice (under two Message-IDs), ${mails.missing.length} missing (of ${mails.decided} the orders' messages recorded as sent, and a first message for each of ${mails.orders} orders)${mails.waitedS > 20 ? `; the last ones, held by a run killed mid-send, went out within ${mails.waitedS} s` : ''}.`);
  for (const [k, v] of mails.twice.slice(0, 10)) say(`  ${v} times: ${k}`);
  if (mails.resent.length) say(`  sent again under the same Message-ID after a run was killed mid-send (the mailbox keeps one): ${mails.resent.map(([k, v]) => `${k} (${v} copies)`).join(', ')}`);
  for (const m of mails.missing.slice(0, 10)) say(`  missing: ${m}`);
  say(`Card payments: ${webhooks.answered} webhooks answered 2xx, ${webhooks.unrecorded.length} payments never recorded, the slowest recorded ${(webhooks.slowestMs / 1000).toFixed(1)} s after its webhook (limit ${WEBHOOK_LIMIT_MS / 1000} s).`);
  for (const u of webhooks.unrecorded.slice(0, 5)) say(`  never recorded: ${u}`);
  say(`Sessions: the longest wait on a lock ${d.sessions.lockWaitS.toFixed(1)} s${d.sessions.lockQuery ? ` (${d.sessions.lockQuery.replace(/\s+/g, ' ')})` : ''}, the longest transaction idle ${d.sessions.idleInTransactionS.toFixed(1)} s (limit ${SESSION_LIMIT_S} s).`);
  if (notReady.length) say(`Servers not ready within ${d.readyLimitMs / 1000} s of a Redis promotion: ${notReady.map((f) => f.name).join('; ')}.`);
  for (const p of placed.filter((p) => p.refused).slice(0, 5)) say(`  refused: ${p.way} ${p.refused}`);
  return !journal.ok || perShop.length !== d.shops || perShop.some((n) => n !== 1) || closed.some((c) => c.status !== 200) || lostOrders > 0 || duplicatedOrders > 0 || totals.lost > 0 || totals.duplicated > 0 || totals.outOfOrder > 0 || totals.phantom > 0 || money.wrong.length > 0 || mails.twice.length > 0 || mails.missing.length > 0 || refused > 0 ||
    webhooks.unrecorded.length > 0 || webhooks.slowestMs > WEBHOOK_LIMIT_MS || d.sessions.lockWaitS > SESSION_LIMIT_S || d.sessions.idleInTransactionS > SESSION_LIMIT_S || notReady.length > 0;
}

/** The orders: those answered (201, or 200 for a replay), lost or duplicated, and each fault's share (its window: until the next fault). */
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
  const stored = (await pool.query<{ id: string; pizzeria_id: number; order_id: string; type: string; version: number | null }>(
    `SELECT id, pizzeria_id, order_id, type, (payload->>'version')::int AS version FROM order_events WHERE id > $1 ORDER BY id`,
    [startAfter],
  )).rows.map((r) => ({ id: Number(r.id), shop: r.pizzeria_id, orderId: r.order_id, type: r.type, version: r.version }));
  const byId = new Map(stored.map((e) => [e.id, e]));
  const rows = screens.map((s) => {
    const expected = stored.filter((e) => s.pizzeriaId === null || e.shop === s.pizzeriaId).map((e) => e.id);
    const got = s.received.map((r) => r.e.eventId);
    const h = checkHistory(got, expected);
    const [lost, duplicated, outOfOrder] = [h.lost.length, h.duplicated.length, h.outOfOrder.length];
    // an event shown is judged by its id, as a screen keeps it: the database must hold that id, for
    // that order, that change and that version; nothing shown may be taken back by a failover
    const phantom = new Set(s.received.filter((r) => !sameAsStored(r.e, byId)).map((r) => r.e.eventId)).size;
    return { name: s.name, expected: expected.length, received: got.length, lost, duplicated, outOfOrder, phantom };
  });
  const totals = rows.reduce(
    (t, r) => ({ expected: t.expected + r.expected, lost: t.lost + r.lost, duplicated: t.duplicated + r.duplicated, outOfOrder: t.outOfOrder + r.outOfOrder, phantom: t.phantom + r.phantom }),
    { expected: 0, lost: 0, duplicated: 0, outOfOrder: 0, phantom: 0 },
  );
  return { stored, rows, totals };
}

interface StoredEvent { id: number; orderId: string; type: string; version: number | null }

/** Whether the database holds this event under its id, as the screen was shown it. */
function sameAsStored(e: OrderUpdated, byId: Map<number, StoredEvent>): boolean {
  const s = byId.get(e.eventId);
  return !!s && s.orderId === e.order.id && s.type === e.type && (s.version === null || s.version === e.order.version);
}

/** Each event shown that the database does not hold as shown: what it was, and what the database has under its id. */
function sayGone(screens: Screen[], stored: StoredEvent[]) {
  const byId = new Map(stored.map((e) => [e.id, e]));
  const shown = new Map<number, OrderUpdated>();
  for (const sc of screens) for (const r of sc.received) if (!sameAsStored(r.e, byId)) shown.set(r.e.eventId, r.e);
  for (const e of shown.values()) {
    const there = byId.get(e.eventId);
    say(`  event #${e.eventId} (${e.type}, order ${e.order.number} version ${e.order.version}, at ${e.at}) ${there ? `is another in the database (${there.type}, order ${there.orderId} version ${there.version})` : 'is not in the database'}`);
  }
}

/**
 * Waits (at most `ms`) until every card order's money is where the provider says: a workers process
 * killed in the middle of a capture leaves it to the other one, once its lock on the job has lapsed
 * (workers/payments.worker.ts), so the ledger may lag the provider by some seconds; what is still
 * wrong then is lost, and the account says so.
 */
export async function moneySettled(d: Pick<DrillRecord, 'pool' | 'stripe' | 'placed'>, ms: number): Promise<number> {
  const started = Date.now();
  while ((await moneyAccount(d as DrillRecord, d.placed.filter((p) => p.id))).wrong.length && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 1000));
  return Date.now() - started;
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

/**
 * Messages: each email once in its mailbox (a placing has its own address; the same subject under
 * two Message-IDs is a duplicate; a copy sent again under the same Message-ID, by a run killed after
 * the mail server took it and before it noted it, is kept once by the mailbox, and said),
 * and none missing: every order answered has had at least its first message, and each message
 * the product recorded as sent (customer_notifications) is in the mail server's inbox. A message
 * still being sent is waited for: 20 s, or, while one is held by a run the drill killed mid-send,
 * until its claim lapses and the job's next try sends it (the claim's lease, 120 s unless the drill
 * sets it, and that try's backoff: never sent twice, so late by up to about three minutes after the kill).
 */
async function mailsAccount({ smtp, pool, claimLeaseSeconds }: DrillRecord, acked: Placed[]) {
  const perAddress = new Map<string, Set<string>>();
  // each message as its mailbox counts it: by its Message-ID (a copy under the same one is kept
  // once), and how many copies the mail server received
  const mails = new Map<string, { ids: Set<string>; copies: number }>();
  const read = () => {
    mails.clear();
    perAddress.clear();
    for (const m of smtp.inbox) {
      const to = (Array.isArray(m.to) ? m.to[0] : m.to)?.text ?? '';
      const k = `${to}|${m.subject}`;
      const seen = mails.get(k) ?? { ids: new Set<string>(), copies: 0 };
      seen.ids.add(m.messageId ?? `(none ${seen.copies})`);
      seen.copies++;
      mails.set(k, seen);
      perAddress.set(to, (perAddress.get(to) ?? new Set()).add(String(m.subject)));
    }
  };
  let rows: { email: string; sent: number; sending: number }[];
  let heldSaid = false;
  const started = Date.now();
  for (const until = started + (claimLeaseSeconds + 60) * 1000; ; ) {
    rows = (await pool.query<{ email: string; sent: number; sending: number }>(
      `SELECT o.customer_email AS email, count(*) FILTER (WHERE n.status = 'sent')::int AS sent, count(*) FILTER (WHERE n.status = 'sending')::int AS sending
       FROM orders o JOIN customer_notifications n ON n.order_id = o.id AND n.channel = 'email' WHERE o.id = ANY($1::uuid[]) GROUP BY 1`,
      [acked.map((p) => p.id)],
    )).rows;
    if (!rows.some((r) => r.sending) || Date.now() > until) break;
    if (Date.now() - started > 20_000 && !heldSaid) {
      heldSaid = true;
      say(`messages still being sent after 20 s: waiting for their claims to lapse (${claimLeaseSeconds} s) and their jobs to try again`);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  const waitedS = Math.round((Date.now() - started) / 1000);
  read();
  const recorded = new Map(rows.map((r) => [r.email, r]));
  const missing: string[] = [];
  for (const p of acked) {
    const got = perAddress.get(p.email)?.size ?? 0;
    const r = recorded.get(p.email);
    if (!got) missing.push(`${p.email}: no message at all`);
    else if (r && got < r.sent) missing.push(`${p.email}: ${r.sent} recorded as sent, ${got} in the inbox`);
    if (r?.sending) missing.push(`${p.email}: ${r.sending} still being sent`);
  }
  return {
    // twice in the customer's mailbox: two messages of one step, each under a Message-ID of its own
    twice: [...mails.entries()].filter(([, v]) => v.ids.size > 1).map(([k, v]) => [k, v.ids.size] as const),
    // sent again under the same Message-ID (a run killed between the mail server's answer and its
    // note): the mail server had two copies, the mailbox keeps one
    resent: [...mails.entries()].filter(([, v]) => v.copies > v.ids.size).map(([k, v]) => [k, v.copies] as const),
    missing, decided: rows.reduce((n, r) => n + r.sent, 0), orders: acked.length, waitedS,
  };
}

/** Card payments: each one whose webhook was answered 2xx is recorded (authorised) within the limit. */
async function webhooksAccount({ pool }: DrillRecord, acked: Placed[]) {
  const answered = acked.filter((p) => p.webhookAt);
  const recorded = new Map(
    (await pool.query<{ order_id: string; at: Date }>(
      "SELECT order_id, min(created_at) AS at FROM payment_movements WHERE kind = 'authorised' AND order_id = ANY($1::uuid[]) GROUP BY 1",
      [answered.map((p) => p.id)],
    )).rows.map((r) => [r.order_id, r.at.getTime()]),
  );
  const unrecorded = answered.filter((p) => !recorded.has(p.id!)).map((p) => p.id!);
  const slowestMs = Math.max(0, ...answered.filter((p) => recorded.has(p.id!)).map((p) => recorded.get(p.id!)! - p.webhookAt!));
  return { answered: answered.length, unrecorded, slowestMs };
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
