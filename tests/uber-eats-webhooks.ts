// Uber Eats' webhooks as the fake sends them (developer.uber.com/docs/eats/guides/webhooks): the
// event JSON (event_id, event_type, event_time in Unix seconds, meta.resource_id = the order,
// meta.user_id = the store, meta.status, resource_href), signed in X-Uber-Signature (lowercase hex
// HMAC-SHA256 of the body keyed by the client secret), POSTed to one URL and sent again with
// exponential backoff (1 s, 2 s, 4 s… after the first try; 7 tries in all) until it is answered 200.
// Tests shorten the delays and the tries. `resendLast` plays a replay (the same event_id again);
// `sendRaw` a forgery (any body, any signature).
import { createHmac, randomUUID } from 'node:crypto';

export interface UberWebhookEvent {
  event_id: string;
  event_type: string;
  event_time: number;
  meta: Record<string, unknown>;
  resource_href?: string;
}

export interface UberDelivery {
  event: UberWebhookEvent;
  body: string;
  /** Each try: the status it was answered with (null: no answer), and when (ms since the epoch). */
  attempts: { status: number | null; at: number }[];
  delivered: boolean;
  /** Settles when it was answered 200 or the tries ran out. */
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class UberWebhookSender {
  /** Where Uber posts (the developer dashboard's primary webhook URL); null: nothing is sent. */
  target: string | null = null;
  /** Tries in all, the first included (documented: 7). */
  tries = 7;
  /** The wait before the second try; each next wait doubles (documented: 1 s). */
  firstDelayMs = 1000;
  readonly deliveries: UberDelivery[] = [];
  private stopped = false;

  constructor(private readonly secret: string) {}

  sign(body: string, secret = this.secret): string {
    return createHmac('sha256', secret).update(body).digest('hex');
  }

  /** An event of that type about an order of a store, as Uber builds it. */
  event(type: string, meta: Record<string, unknown>, resourceHref?: string): UberWebhookEvent {
    return { event_id: randomUUID(), event_type: type, event_time: Math.floor(Date.now() / 1000), meta, ...(resourceHref ? { resource_href: resourceHref } : {}) };
  }

  /** Sends the event until it is answered 200 (in the background; `done` says when it stops). */
  send(event: UberWebhookEvent): UberDelivery {
    const body = JSON.stringify(event);
    const delivery = { event, body, attempts: [], delivered: false } as unknown as UberDelivery;
    delivery.done = this.deliver(delivery);
    this.deliveries.push(delivery);
    return delivery;
  }

  /** The last event sent, once more, byte for byte and signed (a replay). */
  async resendLast(): Promise<number | null> {
    const last = this.deliveries.at(-1);
    if (!last) throw new Error('no webhook was sent yet');
    return this.post(last.body, this.sign(last.body));
  }

  /** Any body with any signature (null: no X-Uber-Signature header), once. */
  async sendRaw(body: string, signature: string | null): Promise<number | null> {
    return this.post(body, signature);
  }

  /** The events of that type sent so far. */
  sent(type?: string): UberWebhookEvent[] {
    return this.deliveries.map((d) => d.event).filter((e) => !type || e.event_type === type);
  }

  async settle(): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.done));
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(d: UberDelivery): Promise<void> {
    const signature = this.sign(d.body);
    for (let i = 0; i < this.tries && !this.stopped; i++) {
      if (i > 0) await sleep(this.firstDelayMs * 2 ** (i - 1));
      if (this.stopped) return;
      const status = await this.post(d.body, signature);
      d.attempts.push({ status, at: Date.now() });
      if (status === 200) {
        d.delivered = true;
        return;
      }
    }
  }

  private async post(body: string, signature: string | null): Promise<number | null> {
    if (!this.target) return null;
    try {
      const res = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-environment': 'sandbox', ...(signature === null ? {} : { 'x-uber-signature': signature }) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return null;
    }
  }
}
