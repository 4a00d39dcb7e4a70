// Texts cost the chain money at each send, and whoever can make the site text a number can make it
// text numbers whose operator shares what the text is paid (SMS pumping: satellite and far-away
// ranges, a euro a text, requested by the thousand from a few addresses). So every text, a sign-in
// code or an order message, goes through three checks before the gateway:
// - its number starts with an allowed prefix (SMS_ALLOWED_PREFIXES: France and its overseas
//   departments): the ranges pumping lives on are never texted at all;
// - its range (the prefix and the next SMS_RANGE_DIGITS digits) had fewer than SMS_PER_RANGE_PER_HOUR
//   texts this hour: a run on one block of allowed numbers stops there, and the rest of the chain
//   keeps its texts;
// - the chain had fewer than SMS_PER_HOUR texts this hour: what a run spread over many ranges can
//   cost is bounded, and the head office is told the first time it is reached (audit log, metric).
// The counters are in Redis, shared by every server and worker; while Redis is away each process
// counts alone (a budget per process, still a bound). A text the gateway did not take gives its
// counts back. A text refused here is an SmsWithheld: permanent for the message (never retried).
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../kernel/config.ts';
import type { Db } from '../kernel/db.ts';
import { reportError } from '../kernel/observability.ts';
import { SmsRefused, type Sms, type SmsProvider } from '../kernel/sms.ts';

export interface SmsPolicy {
  allowedPrefixes: readonly string[];
  perHour: number;
  perRangePerHour: number;
  rangeDigits: number;
}

export const smsPolicyOf = (c: Pick<Config, 'SMS_ALLOWED_PREFIXES' | 'SMS_PER_HOUR' | 'SMS_PER_RANGE_PER_HOUR' | 'SMS_RANGE_DIGITS'>): SmsPolicy => ({
  allowedPrefixes: c.SMS_ALLOWED_PREFIXES,
  perHour: c.SMS_PER_HOUR,
  perRangePerHour: c.SMS_PER_RANGE_PER_HOUR,
  rangeDigits: c.SMS_RANGE_DIGITS,
});

const WINDOW_SECONDS = 3600;

/** The allowed prefix a number (E.164) starts with, the longest if several do; null: not to be texted. */
export function allowedPrefixOf(to: string, prefixes: readonly string[]): string | null {
  let best: string | null = null;
  for (const p of prefixes) if (to.startsWith(p) && (!best || p.length > best.length)) best = p;
  return best;
}

/** The range a number is counted in: its allowed prefix and the next `digits` digits ("+33" + "6123"). */
export const rangeOf = (to: string, prefix: string, digits: number) => to.slice(0, prefix.length + digits);

/** Why a text was not sent: a number out of the allowed countries, a range or the chain past its hour's texts. */
export type WithheldReason = 'country' | 'range' | 'budget';

/** A text this policy refused: nothing was sent, and trying again this hour would not send it either. */
export class SmsWithheld extends SmsRefused {
  constructor(readonly reason: WithheldReason, message: string) {
    super(message);
  }
}

/** A limit reached for the first time in its hour, to tell the head office. */
export interface SmsLimitReached {
  limit: 'budget' | 'range';
  /** 'chain', or the range ("+336123"). */
  key: string;
  max: number;
  /** When the hour's count started over (the window of rate-limiter-flexible ends then). */
  until: Date;
}

/** The provider behind the policy: what `send` refuses is an SmsWithheld, and the gateway never hears of it. */
export class GuardedSmsProvider implements SmsProvider {
  readonly name: string;
  private readonly budget: RateLimiterAbstract;
  private readonly ranges: RateLimiterAbstract;

  constructor(
    private readonly inner: SmsProvider,
    readonly policy: SmsPolicy,
    opts: { redis?: Redis; keyPrefix: string; onLimitReached?: (e: SmsLimitReached) => Promise<void> | void },
  ) {
    this.name = inner.name;
    this.onLimitReached = opts.onLimitReached;
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${opts.keyPrefix}:sms-${name}`, points, duration: WINDOW_SECONDS });
      return opts.redis
        ? new RateLimiterRedis({ storeClient: opts.redis, keyPrefix: `${opts.keyPrefix}:rl:sms-${name}`, points, duration: WINDOW_SECONDS, insuranceLimiter: memory })
        : memory;
    };
    this.budget = limiter('budget', policy.perHour);
    this.ranges = limiter('range', policy.perRangePerHour);
  }

  private readonly onLimitReached?: (e: SmsLimitReached) => Promise<void> | void;

  /** Whether the number is one this chain texts at all (asked before a code is made for it). */
  accepts(to: string): boolean {
    return allowedPrefixOf(to, this.policy.allowedPrefixes) !== null;
  }

  async send(sms: Sms): Promise<string | null> {
    const prefix = allowedPrefixOf(sms.to, this.policy.allowedPrefixes);
    if (!prefix) throw new SmsWithheld('country', 'not sent: texts go only to the allowed countries (SMS_ALLOWED_PREFIXES)');
    const range = rangeOf(sms.to, prefix, this.policy.rangeDigits);
    if (!(await this.take(this.ranges, range, 'range', this.policy.perRangePerHour))) {
      throw new SmsWithheld('range', `not sent: ${this.policy.perRangePerHour} texts to the range ${range} this hour already`);
    }
    if (!(await this.take(this.budget, 'chain', 'budget', this.policy.perHour))) {
      await this.ranges.reward(range, 1).catch(() => undefined);
      throw new SmsWithheld('budget', `not sent: the chain sent its ${this.policy.perHour} texts of the hour (SMS_PER_HOUR)`);
    }
    try {
      return await this.inner.send(sms);
    } catch (err) {
      // not sent: its retry counts again
      await Promise.all([this.ranges.reward(range, 1), this.budget.reward('chain', 1)]).catch(() => undefined);
      throw err;
    }
  }

  /** Counts one text under `key`; false past the limit (the first refusal of the hour tells the head office). */
  private async take(limiter: RateLimiterAbstract, key: string, limit: SmsLimitReached['limit'], max: number): Promise<boolean> {
    try {
      await limiter.consume(key);
      return true;
    } catch (res) {
      // neither Redis nor the memory stand-in answered: texting matters less than what it costs
      if (!(res instanceof RateLimiterRes)) return false;
      // a refusal counts too, so exactly one caller, on any server, sees the count just past the limit
      if (res.consumedPoints === max + 1) {
        await Promise.resolve(this.onLimitReached?.({ limit, key, max, until: new Date(Date.now() + res.msBeforeNext) })).catch(() => undefined);
      }
      return false;
    }
  }
}

/** Where a limit reached is written (a pino logger; the API's may log errors only). */
export interface SmsLimitLog {
  error: (o: object, m: string) => void;
  warn?: (o: object, m: string) => void;
}

/**
 * What the head office is told when a limit of the texts is reached: a line in the audit log (the
 * back office's audit page, action `sms.paused`), the log (error for the chain's budget, with a
 * report to Sentry when set), and the metric `ocpizza_sms_limit_reached` that alerts read.
 */
export function tellSmsLimitReached(db: Db, log: SmsLimitLog) {
  return async (e: SmsLimitReached) => {
    const what = e.limit === 'budget' ? 'the chain reached its texts of the hour: texts paused, codes by email, order messages by email only' : `texts to the range ${e.key} paused for the hour`;
    if (e.limit === 'budget') {
      log.error({ max: e.max, until: e.until }, what);
      reportError(new Error(what), { max: e.max, until: e.until.toISOString() });
    } else log.warn?.({ range: e.key, max: e.max, until: e.until }, what);
    await db.query(
      `INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, pizzeria_id, before, after)
       VALUES (NULL, 'system (texts)', 'sms.paused', 'sms', $1, NULL, NULL, $2)`,
      [e.limit === 'budget' ? 'budget' : `range ${e.key}`, JSON.stringify({ limit: e.limit, range: e.limit === 'range' ? e.key : undefined, perHour: e.max, until: e.until.toISOString() })],
    );
  };
}

/** The limits of the texts reached in the last hour, by kind (the metric `ocpizza_sms_limit_reached`). */
export async function smsLimitsReached(db: Pick<Db, 'query'>): Promise<{ budget: number; range: number }> {
  const { rows } = await db.query<{ budget: number; range: number }>(
    `SELECT count(*) FILTER (WHERE entity_id = 'budget')::int AS budget, count(*) FILTER (WHERE entity_id LIKE 'range %')::int AS range
     FROM audit_log WHERE entity = 'sms' AND action = 'sms.paused' AND at > now() - interval '1 hour'`,
  );
  return rows[0];
}

/** The settings' provider behind the settings' policy, counted in Redis when given. */
export function guardSms(inner: SmsProvider, config: Config, deps: { db: Db; log: SmsLimitLog; redis?: Redis }): GuardedSmsProvider {
  return new GuardedSmsProvider(inner, smsPolicyOf(config), { redis: deps.redis, keyPrefix: config.QUEUE_PREFIX, onLimitReached: tellSmsLimitReached(deps.db, deps.log) });
}
