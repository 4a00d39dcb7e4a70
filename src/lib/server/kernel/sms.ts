// Text messages to customers, behind one interface: written to the log (development, a demo, a
// chain without a provider), or POSTed to an HTTP provider (most SMS gateways take a JSON body and a
// bearer token). A provider's 4xx is permanent (a bad number); anything else is retried by the job.
import type { Logger } from 'pino';
import { canonicalPhone } from '../../domain/phone.ts';

export interface Sms {
  to: string;
  text: string;
}

export class SmsRefused extends Error {}

export interface SmsProvider {
  readonly name: string;
  /** Sends, and answers the provider's id of the message. */
  send(sms: Sms): Promise<string | null>;
  /** Whether this number is one to text at all (the chain's countries: src/lib/server/messages/sms-limits.ts); absent: any. */
  accepts?(to: string): boolean;
}

export class LogSmsProvider implements SmsProvider {
  readonly name = 'log';
  constructor(private readonly log: Pick<Logger, 'info'>) {}
  async send(sms: Sms) {
    this.log.info({ to: sms.to, text: sms.text }, 'SMS not sent (no SMS_HTTP_URL): here it is');
    return null;
  }
}

export class HttpSmsProvider implements SmsProvider {
  readonly name = 'http';
  constructor(private readonly opts: { url: string; token?: string; from: string; timeoutMs?: number }) {}
  async send(sms: Sms) {
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) },
      body: JSON.stringify({ to: sms.to, from: this.opts.from, text: sms.text }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    const body = (await res.json().catch(() => null)) as { id?: unknown } | null;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new SmsRefused(`the SMS provider refused the message (${res.status})`);
    if (!res.ok) throw new Error(`the SMS provider answered ${res.status}`);
    return body && (typeof body.id === 'string' || typeof body.id === 'number') ? String(body.id) : null;
  }
}

export function smsProviderFrom(c: { SMS_HTTP_URL?: string; SMS_HTTP_TOKEN?: string; SMS_FROM: string }, log: Pick<Logger, 'info'>): SmsProvider {
  return c.SMS_HTTP_URL ? new HttpSmsProvider({ url: c.SMS_HTTP_URL, token: c.SMS_HTTP_TOKEN, from: c.SMS_FROM }) : new LogSmsProvider(log);
}

/**
 * A number as an SMS gateway wants it (E.164), however it was typed: the one canonical form of
 * src/lib/domain/phone.ts, by which phones are also counted and matched everywhere else.
 */
export const e164 = canonicalPhone;
