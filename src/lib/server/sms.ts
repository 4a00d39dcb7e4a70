// Text messages to customers, behind one interface: written to the log (development, a demo, a
// chain without a provider), or POSTed to an HTTP provider (most SMS gateways take a JSON body and a
// bearer token). A provider's 4xx is permanent (a bad number); anything else is retried by the job.
import type { Logger } from 'pino';

export interface Sms {
  to: string;
  text: string;
}

export class SmsRefused extends Error {}

export interface SmsProvider {
  readonly name: string;
  /** Sends, and answers the provider's id of the message. */
  send(sms: Sms): Promise<string | null>;
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
 * A French number as an SMS gateway wants it (E.164), however it was typed: "06 12 34 56 78",
 * "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0033 6…" → "+33612345678". The limits count phones by it.
 */
export function e164(phone: string): string {
  // "(0)" is the national prefix written next to the country code: not dialled from abroad
  const digits = phone.replace(/\(0\)/g, '').replace(/[^\d+]/g, '');
  let international = digits.startsWith('+') ? digits : digits.startsWith('00') ? `+${digits.slice(2)}` : null;
  if (international === null) {
    if (digits.startsWith('0') && digits.length === 10) return `+33${digits.slice(1)}`;
    return digits;
  }
  // "+33 06…": the national 0 kept after the country code
  if (/^\+330\d{9}$/.test(international)) international = `+33${international.slice(4)}`;
  return international;
}
