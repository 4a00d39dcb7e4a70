// The chain benchmark's customers' phones, and the kill of a workers process (`--kill-workers`).
//
// The workers text customers through an SMS gateway (SMS_HTTP_URL: a JSON POST of `to`, `from` and
// `text` with a bearer token, src/lib/server/kernel/sms.ts); here the gateway is this process, which
// writes down every text it is handed and when. After the run, what each customer should have been
// texted is read from the order events, as an outsider would: each event's step
// (src/lib/domain/notification-steps.ts) among the steps worth a text. Each order's texts are
// counted against its steps: one text per step, none missing (lost) and none more (sent twice).
//
// With `--kill-workers`, one of the two workers processes is killed (SIGKILL: no goodbye, its
// connections dropped by the kernel) halfway through the orders. The other must take over what it
// followed: the texts of events made after the kill arrive, and the slowest of them says how long
// the takeover took.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { stepOfEvent } from '../src/lib/domain/notification-steps.ts';
import { sendsAText } from '../src/lib/server/messages/notifications.ts';
import { percentile, sleep } from './bench-common.ts';

interface Text {
  to: string;
  at: number;
}

export class TextSink {
  readonly token = randomBytes(16).toString('hex');
  readonly texts: Text[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${this.token}`) {
          res.writeHead(401).end();
          return;
        }
        try {
          const { to } = JSON.parse(body) as { to: string };
          this.texts.push({ to, at: Date.now() });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `t${this.texts.length}` }));
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
  }

  /** The workers' environment: texts to this sink, and allowances a real crowd of customers has. */
  env(): Record<string, string> {
    return {
      SMS_HTTP_URL: this.url, SMS_HTTP_TOKEN: this.token, SMS_PER_HOUR: '100000000', SMS_PER_RANGE_PER_HOUR: '100000000',
      MESSAGES_PER_DESTINATION_PER_HOUR: '100000',
    };
  }

  close(): void {
    this.server?.close();
  }
}

export interface TextsResult {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  /** Event → text, ms: before the kill (or the whole run) p50 / p99. */
  delayP50: number;
  delayP99: number;
  /** With a kill: the slowest text of the events made in the 10 s after it, ms after the kill (or after its event, when later). */
  afterKillMax: number | null;
  afterKillTexts: number;
}

/** The last nine digits of a phone number: how a text's `to` (+33…) finds its order's phone (06…). */
const phoneKey = (p: string) => p.replace(/\D/g, '').slice(-9);

/**
 * Counts each order's texts against the steps its events should have texted, once the texts stop
 * coming (at most `waitMs` after the run). `killedAt`: when a workers process was killed.
 */
export async function checkTexts(pool: pg.Pool, sink: TextSink, firstEventId: number, killedAt: number | null, waitMs = 30_000): Promise<TextsResult> {
  const { rows } = await pool.query<{ order_id: string; phone: string; type: string; payload: Record<string, unknown>; at: Date }>(
    `SELECT e.order_id, o.customer_phone AS phone, e.type, e.payload, e.created_at AS at
       FROM order_events e JOIN orders o ON o.id = e.order_id WHERE e.id > $1 ORDER BY e.id`,
    [firstEventId],
  );
  // each order's steps worth a text, once each, with the time of the first event that made it
  const steps = new Map<string, { phone: string; steps: Map<string, number> }>();
  for (const r of rows) {
    const p = r.payload as { status: string; fulfilment: string; refundedCents?: number; payment?: { status: string; payBy?: string | null } };
    const step = stepOfEvent(r.type, { status: p.status, fulfilment: p.fulfilment, refundedCents: p.refundedCents ?? 0, payment: p.payment });
    if (!step || !sendsAText(step)) continue;
    const o = steps.get(r.order_id) ?? { phone: phoneKey(r.phone), steps: new Map<string, number>() };
    if (!o.steps.has(step)) o.steps.set(step, r.at.getTime());
    steps.set(r.order_id, o);
  }
  const expected = [...steps.values()].reduce((a, o) => a + o.steps.size, 0);
  // wait for the texts still on their way (the workers' queues drain after the last move)
  for (let waited = 0, last = -1; waited < waitMs; waited += 1000) {
    if (sink.texts.length >= expected && sink.texts.length === last) break;
    last = sink.texts.length;
    await sleep(1000);
  }
  const byPhone = new Map<string, number[]>();
  for (const t of sink.texts) byPhone.set(phoneKey(t.to), [...(byPhone.get(phoneKey(t.to)) ?? []), t.at]);
  let lost = 0;
  let duplicated = 0;
  const delays: number[] = [];
  const afterKill: number[] = [];
  for (const o of steps.values()) {
    const got = (byPhone.get(o.phone) ?? []).sort((a, b) => a - b);
    const made = [...o.steps.values()].sort((a, b) => a - b);
    lost += Math.max(0, made.length - got.length);
    duplicated += Math.max(0, got.length - made.length);
    // the nth text of an order answers its nth step
    for (let i = 0; i < Math.min(made.length, got.length); i++) {
      const delay = got[i] - made[i];
      if (killedAt !== null && made[i] >= killedAt - 1000 && made[i] <= killedAt + 10_000) afterKill.push(got[i] - Math.max(made[i], killedAt));
      else delays.push(delay);
    }
  }
  delays.sort((a, b) => a - b);
  return {
    expected, received: sink.texts.length, lost, duplicated, delayP50: percentile(delays, 50), delayP99: percentile(delays, 99),
    afterKillMax: afterKill.length ? Math.max(...afterKill) : null, afterKillTexts: afterKill.length,
  };
}
