// What drivers earn (src/lib/domain/driver-pay.ts): their shop's pay rule, and for a driver and a
// period their hours clocked in (clock_ins, the "on shift" switch), deliveries (orders delivered by
// them), kilometres (their delivery trail), tips (tip_shares, card and cash apart) and pay. The
// driver's phone shows tonight (the business day, 05:00 to 05:00 Paris) and this week (Monday to
// Sunday); the shop's payroll gives one row per driver for any period of up to 92 days. A driver is
// paid by their own shop's rule, also for an evening lent to another shop.
import {
  businessDayOf, isDay, payOf, periodProblem, ruleOn, shiftDate, trailLegs, MAX_PAYROLL_DAYS,
  type ClockIn, type PayFigures, type PayRule, type Period, type TrailSample,
} from '../../domain/driver-pay.ts';
import { mondayOf } from '../../domain/rota.ts';
import { can, may } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';

export interface PayRuleRow extends PayRule {
  setBy: string | null;
  setAt: string;
}

export interface Earnings extends PayFigures {
  /** The period's business days (Paris), both included. */
  from: string;
  to: string;
  /** Hours clocked in, to the hundredth. */
  hours: number;
  km: number;
  cardTipsCents: number;
  cashTipsCents: number;
  /** Pay and tips. */
  totalCents: number;
}

export interface PayrollRow extends Earnings {
  driverId: number;
  name: string;
}

function checkPayer(actor: StaffActor, pizzeriaId: number): void {
  if (!may(actor.role, can.payDrivers) || !canActOnShop(actor, pizzeriaId)) throw forbidden("you may only read and set your own shop's drivers' pay");
}

const PERIOD_MESSAGES = {
  bad_date: 'give the period as two dates, YYYY-MM-DD',
  reversed: 'the period ends before it starts',
  too_long: `at most ${MAX_PAYROLL_DAYS} days at a time`,
} as const;

/** A payroll period that does not hold: 400, the field it concerns, nothing read. */
export function checkPayPeriod(from: string, to: string): void {
  const problem = periodProblem(from, to);
  if (problem) throw new AppError(400, `period_${problem}`, PERIOD_MESSAGES[problem], { fields: { [problem === 'bad_date' && !isDay(from) ? 'from' : 'to']: PERIOD_MESSAGES[problem] } });
}

/** The shop's pay rules, the newest first. */
export async function payRules(q: Queryable, pizzeriaId: number): Promise<PayRuleRow[]> {
  const { rows } = await q.query<{ valid_from: string; cents_per_hour: number; cents_per_delivery: number; cents_per_km: number; set_by: string | null; set_at: Date }>(
    `SELECT r.valid_from::text, r.cents_per_hour, r.cents_per_delivery, r.cents_per_km, u.name AS set_by, r.set_at
       FROM driver_pay_rules r LEFT JOIN users u ON u.id = r.set_by WHERE r.pizzeria_id = $1 ORDER BY r.valid_from DESC`,
    [pizzeriaId],
  );
  return rows.map((r) => ({
    validFrom: r.valid_from, centsPerHour: r.cents_per_hour, centsPerDelivery: r.cents_per_delivery, centsPerKm: r.cents_per_km, setBy: r.set_by, setAt: r.set_at.toISOString(),
  }));
}

/** The pay page's rules: those of the shop, the one in force today, and today's business day. */
export async function payRulesOf(q: Queryable, actor: StaffActor, pizzeriaId: number) {
  checkPayer(actor, pizzeriaId);
  const rules = await payRules(q, pizzeriaId);
  const today = businessDayOf(await nowMs(q));
  return { rules, current: ruleOn(rules, today), today };
}

export interface PayRuleInput {
  /** The first business day it holds (today when not said); never a day already past. */
  validFrom?: string;
  centsPerHour: number;
  centsPerDelivery: number;
  centsPerKm: number;
}

/** Sets the shop's rule from a day on (today or later), replacing that day's if set; audited. */
export async function setPayRule(dbp: Db, actor: StaffActor, pizzeriaId: number, input: PayRuleInput): Promise<PayRuleRow> {
  checkPayer(actor, pizzeriaId);
  return transaction(dbp, async (tx) => {
    const { rows: shop } = await tx.query('SELECT 1 FROM pizzerias WHERE id = $1', [pizzeriaId]);
    if (!shop[0]) throw notFound('pizzeria');
    const today = businessDayOf(await nowMs(tx));
    const validFrom = input.validFrom ?? today;
    if (validFrom < today) {
      throw new AppError(422, 'pay_rule_past', 'a rule starts today or later: past pay stays as it was', { fields: { validFrom: 'today or later' } });
    }
    const before = (await payRules(tx, pizzeriaId)).find((r) => r.validFrom === validFrom) ?? null;
    await tx.query(
      `INSERT INTO driver_pay_rules (pizzeria_id, valid_from, cents_per_hour, cents_per_delivery, cents_per_km, set_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (pizzeria_id, valid_from) DO UPDATE SET cents_per_hour = EXCLUDED.cents_per_hour, cents_per_delivery = EXCLUDED.cents_per_delivery,
         cents_per_km = EXCLUDED.cents_per_km, set_by = EXCLUDED.set_by, set_at = now()`,
      [pizzeriaId, validFrom, input.centsPerHour, input.centsPerDelivery, input.centsPerKm, actor.id],
    );
    const after = (await payRules(tx, pizzeriaId)).find((r) => r.validFrom === validFrom)!;
    await audit(tx, actor, { action: 'pay.rule', entity: 'pizzeria', entityId: pizzeriaId, pizzeriaId, before, after });
    return after;
  });
}

async function nowMs(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ now: Date }>('SELECT now() AS now');
  return rows[0].now.getTime();
}

/** The instants a period of business days covers: from its first day's 05:00 to the 05:00 after its last (Paris). */
async function instantsOf(q: Queryable, from: string, to: string): Promise<Period> {
  const { rows } = await q.query<{ start: Date; end: Date }>(
    `SELECT ($1::date + time '05:00')::timestamp AT TIME ZONE 'Europe/Paris' AS start,
            ($2::date + 1 + time '05:00')::timestamp AT TIME ZONE 'Europe/Paris' AS end`,
    [from, to],
  );
  return { start: rows[0].start.getTime(), end: rows[0].end.getTime() };
}

interface DriversWork {
  clockIns: Map<number, ClockIn[]>;
  deliveries: Map<number, number[]>;
  trail: Map<number, TrailSample[]>;
  tips: Map<number, { card: number; cash: number }>;
}

const push = <T>(m: Map<number, T[]>, k: number, v: T) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);

/** What these drivers did in the period, read in four queries. */
async function workOf(q: Queryable, ids: number[], p: Period): Promise<DriversWork> {
  const [start, end] = [new Date(p.start), new Date(p.end)];
  const [clock, delivered, trail, tips] = await Promise.all([
    q.query<{ user_id: number; started_at: Date; ended_at: Date | null }>(
      `SELECT user_id, started_at, ended_at FROM clock_ins WHERE user_id = ANY($1) AND role = 'driver' AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)`,
      [ids, start, end],
    ),
    q.query<{ driver_id: number; delivered_at: Date }>(
      `SELECT driver_id, delivered_at FROM orders WHERE driver_id = ANY($1) AND status = 'delivered' AND delivered_at >= $2 AND delivered_at < $3`,
      [ids, start, end],
    ),
    // the time as epoch milliseconds: a period's trail may be many thousand rows
    q.query<{ driver_id: number; order_id: string; at: number; lat: number; lng: number; accuracy_m: number }>(
      'SELECT driver_id, order_id, (extract(epoch FROM at) * 1000)::float8 AS at, lat, lng, accuracy_m FROM delivery_trail WHERE driver_id = ANY($1) AND at >= $2 AND at < $3',
      [ids, start, end],
    ),
    q.query<{ driver_id: number; card: string; cash: string }>(
      `SELECT driver_id, coalesce(sum(amount_cents) FILTER (WHERE way = 'card'), 0) AS card, coalesce(sum(amount_cents) FILTER (WHERE way = 'cash'), 0) AS cash
         FROM tip_shares WHERE driver_id = ANY($1) AND earned_at >= $2 AND earned_at < $3 GROUP BY driver_id`,
      [ids, start, end],
    ),
  ]);
  const work: DriversWork = { clockIns: new Map(), deliveries: new Map(), trail: new Map(), tips: new Map() };
  for (const r of clock.rows) push(work.clockIns, r.user_id, { startedAt: r.started_at.getTime(), endedAt: r.ended_at?.getTime() ?? null });
  for (const r of delivered.rows) push(work.deliveries, r.driver_id, r.delivered_at.getTime());
  for (const r of trail.rows) push(work.trail, r.driver_id, { at: Math.round(r.at), lat: r.lat, lng: r.lng, accuracyM: r.accuracy_m, orderId: r.order_id });
  for (const r of tips.rows) work.tips.set(r.driver_id, { card: Number(r.card), cash: Number(r.cash) });
  return work;
}

function earningsFrom(work: DriversWork, driverId: number, rules: readonly PayRule[], period: Period & { from: string; to: string }, now: number): Earnings {
  const figures = payOf(
    { clockIns: work.clockIns.get(driverId) ?? [], deliveries: work.deliveries.get(driverId) ?? [], legs: trailLegs(work.trail.get(driverId) ?? []) },
    rules, period, now,
  );
  const tips = work.tips.get(driverId) ?? { card: 0, cash: 0 };
  return {
    from: period.from, to: period.to, ...figures,
    hours: Math.round(figures.workedMs / 36_000) / 100,
    km: Math.round(figures.metres / 10) / 100,
    cardTipsCents: tips.card, cashTipsCents: tips.cash,
    totalCents: figures.payCents + tips.card + tips.cash,
  };
}

/** A driver's earnings over business days `from` to `to` (both included), by their shop's rules. */
export async function earningsOf(q: Queryable, driverId: number, from: string, to: string): Promise<Earnings> {
  const { rows } = await q.query<{ pizzeria_id: number | null }>('SELECT pizzeria_id FROM users WHERE id = $1', [driverId]);
  if (!rows[0]) throw notFound('driver');
  const [rules, period, now] = await Promise.all([rows[0].pizzeria_id === null ? [] : payRules(q, rows[0].pizzeria_id), instantsOf(q, from, to), nowMs(q)]);
  return earningsFrom(await workOf(q, [driverId], period), driverId, rules, { ...period, from, to }, now);
}

/** The driver's phone: tonight (the business day going on) and this week (Monday to Sunday), and the rule they are paid by today. */
export async function myEarnings(q: Queryable, driver: StaffActor) {
  if (!may(driver.role, can.drive)) throw forbidden('drivers see their own earnings');
  const today = businessDayOf(await nowMs(q));
  const monday = mondayOf(today);
  const [tonight, week, rules] = await Promise.all([
    earningsOf(q, driver.id, today, today), earningsOf(q, driver.id, monday, shiftDate(monday, 6)),
    driver.pizzeriaId === null ? [] : payRules(q, driver.pizzeriaId),
  ]);
  const rule = ruleOn(rules, today);
  return { tonight, week, rule: rule && { centsPerHour: rule.centsPerHour, centsPerDelivery: rule.centsPerDelivery, centsPerKm: rule.centsPerKm } };
}

/** The shop's payroll for a period: one row per driver of the shop (those no longer active only if they earned something), by name. */
export async function payroll(q: Queryable, actor: StaffActor, pizzeriaId: number, from: string, to: string): Promise<{ shop: { id: number; name: string; slug: string }; from: string; to: string; rows: PayrollRow[] }> {
  checkPayer(actor, pizzeriaId);
  checkPayPeriod(from, to);
  const { rows: shops } = await q.query<{ id: number; name: string; slug: string }>('SELECT id, name, slug FROM pizzerias WHERE id = $1', [pizzeriaId]);
  if (!shops[0]) throw notFound('pizzeria');
  const { rows: drivers } = await q.query<{ id: number; name: string; active: boolean }>(
    `SELECT id, name, active FROM users WHERE pizzeria_id = $1 AND role = 'driver' ORDER BY name, id`,
    [pizzeriaId],
  );
  const [rules, period, now] = await Promise.all([payRules(q, pizzeriaId), instantsOf(q, from, to), nowMs(q)]);
  const work = await workOf(q, drivers.map((d) => d.id), period);
  const rows = drivers
    .map((d) => ({ driverId: d.id, name: d.name, active: d.active, ...earningsFrom(work, d.id, rules, { ...period, from, to }, now) }))
    .filter((r) => r.active || r.workedMs > 0 || r.deliveries > 0 || r.cardTipsCents + r.cashTipsCents > 0)
    .map(({ active: _active, ...r }) => r);
  return { shop: shops[0], from, to, rows };
}
