// What the technical events journal keeps of how the till was used, besides sign-ins and the
// processes' starts (jet-events.ts): a training shop's sale (its money never in a chain nor a total,
// yet on record), a screen that took orders while offline (from when to when, what it queued), and
// a manager's override (their credentials given on another's screen to let through what that
// screen's user may not do alone). Each is signed like every JET entry and written once.
import { createHash } from 'node:crypto';
import { isoTime, type Entry } from '../../domain/fiscal-chain.ts';
import type { Db, Tx } from '../kernel/db.ts';
import { appendJet, appendJetIn } from './jet.ts';
import type { FiscalKey } from './keys.ts';
import { MONEY_STATE } from './order-facts.ts';

/**
 * A training shop's order handed over or paid: a `training_sale` in the JET, in the transaction that
 * made it (the seal: seal.ts), with what it would have been; noted so that it is written once per
 * state of its money. Never an entry of a shop's chain, never in a total.
 */
export async function recordTrainingSale(tx: Tx, key: FiscalKey, orderId: string, operator: string): Promise<Entry | null> {
  const { rows } = await tx.query<{ id: string; pizzeria_id: number; number: number; business_day: string; status: string; total_cents: number; paid_cents: number; paid_with: string | null; collected_method: string | null; lines: number; state: string }>(
    `SELECT o.id, o.pizzeria_id, o.number, o.business_day::text AS business_day, o.status, o.total_cents, o.paid_cents, o.paid_with::text AS paid_with, o.collected_method,
            (SELECT coalesce(sum(quantity), 0)::int FROM order_items WHERE order_id = o.id) AS lines, ${MONEY_STATE} AS state
     FROM orders o WHERE o.id = $1 AND o.training`,
    [orderId],
  );
  const o = rows[0];
  if (!o) return null;
  const entry = await appendJetIn(tx, key, {
    kind: 'training_sale',
    sourceKey: `training:${o.id}:${createHash('sha256').update(o.state).digest('hex').slice(0, 16)}`,
    operator,
    body: {
      order: { id: o.id, shop: o.pizzeria_id, number: o.number, businessDay: o.business_day },
      status: o.status, totalCents: o.total_cents, paidCents: o.paid_cents, paidWith: o.paid_with ?? o.collected_method, items: o.lines,
      mention: 'FACTICE',
    },
  });
  await tx.query(
    `INSERT INTO fiscal_order_states (order_id, money_state) VALUES ($1, $2)
     ON CONFLICT (order_id) DO UPDATE SET money_state = EXCLUDED.money_state, journaled_at = now()`,
    [o.id, o.state],
  );
  return entry;
}

/** What a screen says of a spell offline during which it took taps (POST /api/till/offline-periods). */
export interface OfflinePeriod {
  /** The screen's own id for the spell: the same report sent twice is written once. */
  id: string;
  from: string;
  to: string;
  /** The taps made meanwhile and queued, by kind (place, advance, deliver…). */
  taps: Record<string, number>;
  /** The screen: its page (counter, kitchen, driver). */
  screen: string;
}

/** A screen's offline spell in the JET, as its user reports it when it is back. */
export function recordOfflinePeriod(db: Db, key: FiscalKey, who: { role: string; id: number; pizzeriaId: number | null }, p: OfflinePeriod): Promise<Entry | null> {
  return appendJet(db, key, {
    kind: 'offline_period',
    sourceKey: `offline:${who.role}:${who.id}:${p.id}`,
    operator: `${who.role}:${who.id}`,
    occurredAt: isoTime(p.to),
    body: {
      screen: p.screen, shop: who.pizzeriaId, from: isoTime(p.from), to: isoTime(p.to),
      seconds: Math.round((Date.parse(p.to) - Date.parse(p.from)) / 1000), taps: p.taps,
    },
  });
}

/** A manager's override in the JET: who gave it, for whom, to do what, on which order. */
export function recordOverride(db: Db, key: FiscalKey, o: { action: string; by: string; for: string; orderId: string | null; shop: number | null; ref: { chain: string; seq: number } | null }): Promise<Entry | null> {
  return appendJet(db, key, {
    kind: 'manager_override',
    sourceKey: `override:${o.action}:${o.ref ? `${o.ref.chain}:${o.ref.seq}` : `${o.orderId}:${Date.now()}`}`,
    operator: o.by,
    body: { action: o.action, by: o.by, for: o.for, order: o.orderId, shop: o.shop, ref: o.ref },
  });
}
