// The failover drill's evening (scripts/drill.ts): a client that retries as a real one, the screens
// that follow live, and the customers and kitchens that keep the evening going through the faults.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { io as ioClient } from 'socket.io-client';
import { LiveLink } from '../src/lib/realtime/live-link.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { FakeStripe } from '../tests/stripe-server.ts';

/** How long a client tries again, and a fault's recovery is waited for. */
export const RECOVERY_LIMIT_MS = 90_000;
export const WEBHOOK_SECRET = 'whsec_drillLocalOnly';
export const PASSWORD = 'drill-demo-password';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- a client that retries as a real one

export interface Answer {
  status: number;
  body: any;
}

export class Client {
  cookie = '';
  constructor(readonly base: string) {}
  /** One request; a network error is status 0. */
  async once(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    try {
      const res = await fetch(this.base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      const setCookie = res.headers.get('set-cookie');
      if (setCookie) this.cookie = setCookie.split(';')[0];
      const text = await res.text();
      let json: any = text;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: kept as text */
      }
      return { status: res.status, body: json };
    } catch (err) {
      return { status: 0, body: { error: { code: 'network', message: (err as Error).message } } };
    }
  }
  /** Sent again (the same request, the same headers) after a network error or a 5xx, up to `limitMs`. */
  async retried(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, limitMs = RECOVERY_LIMIT_MS): Promise<Answer & { tries: number }> {
    const until = Date.now() + limitMs;
    for (let tries = 1; ; tries++) {
      const r = await this.once(method, path, body, headers);
      if ((r.status !== 0 && r.status < 500) || Date.now() > until) return { ...r, tries };
      await sleep(Math.min(250 * tries, 1000));
    }
  }
  async login(email: string) {
    const r = await this.retried('POST', '/api/auth/login', { email, password: PASSWORD });
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }
}

// ---------------------------------------------------------------- the screens

export interface Screen {
  name: string;
  pizzeriaId: number | null;
  startAfter: number;
  received: { e: OrderUpdated; at: number }[];
  link: LiveLink;
  close(): void;
}

export async function openScreen(base: string, staff: Client, name: string, scope: 'kitchen' | 'shop' | 'hq', pizzeriaId: number | null, startAfter: number): Promise<Screen> {
  const socket = ioClient(base, { transports: ['websocket'], rejectUnauthorized: false, extraHeaders: { cookie: staff.cookie }, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
  const received: Screen['received'] = [];
  let live!: () => void;
  const first = new Promise<void>((r) => (live = r));
  const link = new LiveLink(socket, {
    subscription: { scope, ...(pizzeriaId ? { pizzeriaId } : {}) },
    lastEventId: startAfter,
    onEvent: (e) => received.push({ e, at: Date.now() }),
    onResync: async () => {
      throw new Error(`${name} was told to reload: the gap could not be replayed`);
    },
    onStatus: (status) => status === 'live' && live(),
    comebackDelayMs: () => 200,
  });
  await first;
  return { name, pizzeriaId, startAfter, received, link, close: () => link.close() };
}

// ---------------------------------------------------------------- the evening

export type Way = 'pickup-door' | 'delivery-door' | 'pickup-card';
export interface Placed {
  key: string;
  way: Way;
  shop: number;
  email: string;
  sentAt: number;
  ackAt: number | null;
  tries: number;
  id: string | null;
  token: string | null;
  total: number;
  status: string;
  done: boolean;
  refused: string | null;
  /** Answered 200: a replay of its key (an earlier try placed it, its answer lost). */
  replayed?: boolean;
  /** A card order: when its payment's webhook was answered 2xx (the provider stops sending it then). */
  webhookAt?: number;
}

export interface Shop {
  id: number;
  slug: string;
  kitchen: Client;
  manager: Client;
}

export interface EveningOptions {
  base: string;
  shops: Shop[];
  stripe: FakeStripe;
  signer: Stripe;
  products: number[];
  /** How often an order is placed across the chain. */
  placeEveryMs: number;
}

/**
 * The evening: an order every `placeEveryMs` across the chain (pickup and delivery, paid at the door
 * or by card), each kitchen moving its tickets along, until stopped; `stop` waits for the orders in
 * flight to be answered.
 */
export function startEvening(o: EveningOptions): { placed: Placed[]; stop(): Promise<void> } {
  const night = new Evening(o);
  const placing = night.placing();
  const moving = night.moving();
  return {
    placed: night.placed,
    async stop() {
      night.stopped = true;
      await Promise.all([placing, moving]);
      // the orders in flight get their answers
      const until = Date.now() + RECOVERY_LIMIT_MS;
      while (night.placed.some((p) => !p.ackAt && !p.refused) && Date.now() < until) await sleep(200);
    },
  };
}

/** The next move of a ticket the kitchen makes (a delivery leaves with its driver, not collected). */
const NEXT: Record<string, string> = { received: 'preparing', preparing: 'ready', ready: 'collected' };

class Evening {
  readonly o: EveningOptions;
  readonly placed: Placed[] = [];
  readonly customer: Client;
  stopped = false;
  n = 0;

  constructor(o: EveningOptions) {
    this.o = o;
    this.customer = new Client(o.base);
  }

  async placing() {
    while (!this.stopped) {
      const at = Date.now();
      void this.place();
      await sleep(Math.max(0, this.o.placeEveryMs - (Date.now() - at)));
    }
  }

  async moving() {
    const { placed, o } = this;
    while (!this.stopped) {
      const open = placed.filter((p) => p.id && !p.done && p.status !== 'pending_payment').slice(0, 12);
      await Promise.all(open.map((p) => this.moveOne(p).catch(() => undefined)));
      // the card orders wait for their payment: read again now and then
      for (const p of placed.filter((p) => p.id && p.status === 'pending_payment').slice(0, 3)) {
        const seen = await o.shops.find((s) => s.id === p.shop)!.kitchen.once('GET', `/api/orders/${p.id}`);
        if (seen.status === 200) p.status = seen.body.status;
      }
      await sleep(250);
    }
  }

  async deliverWebhook(event: object) {
    const payload = JSON.stringify(event);
    const header = this.o.signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const until = Date.now() + RECOVERY_LIMIT_MS;
    // Stripe sends a webhook again until it is answered 2xx
    for (;;) {
      const r = await this.customer.once('POST', '/api/payments/stripe/webhook', JSON.parse(payload), { 'stripe-signature': header });
      if ((r.status >= 200 && r.status < 300) || Date.now() > until) return r;
      await sleep(500);
    }
  }

  async payByCard(p: Placed) {
    const { stripe } = this.o;
    const until = Date.now() + RECOVERY_LIMIT_MS;
    let intent = stripe.intentOf(p.id!);
    while (!intent && Date.now() < until) {
      await sleep(200);
      intent = stripe.intentOf(p.id!);
    }
    if (!intent) return void (p.refused = 'no payment form');
    stripe.authorise(intent);
    const r = await this.deliverWebhook(stripe.event('payment_intent.amount_capturable_updated', intent));
    if (r.status >= 200 && r.status < 300) p.webhookAt = Date.now();
  }

  async place() {
    const { o } = this;
    const i = this.n++;
    const shop = o.shops[i % o.shops.length];
    const way: Way = (['pickup-door', 'delivery-door', 'pickup-card', 'pickup-door'] as const)[i % 4];
    const email = `drill-${i}@example.test`;
    const p: Placed = { key: randomUUID(), way, shop: shop.id, email, sentAt: Date.now(), ackAt: null, tries: 0, id: null, token: null, total: 0, status: '', done: false, refused: null };
    this.placed.push(p);
    const body = {
      pizzeriaId: shop.id,
      fulfilment: way === 'delivery-door' ? 'delivery' : 'pickup',
      customer: { name: `Client ${i}`, phone: `06${String(10_000_000 + i).slice(-8)}`, email },
      ...(way === 'delivery-door' ? { address: ADDRESSES[shop.slug] } : {}),
      items: [{ productId: o.products[i % o.products.length], quantity: 1 + (i % 2) }],
      payment: way === 'pickup-card' ? 'online' : 'on_delivery',
    };
    const r = await this.customer.retried('POST', '/api/orders', body, { 'idempotency-key': p.key });
    p.tries = r.tries;
    // a replay (the first answer lost) answers 200 with the order the key placed: acknowledged as well
    if (r.status !== 201 && r.status !== 200) return void (p.refused = `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    p.replayed = r.status === 200;
    Object.assign(p, { ackAt: Date.now(), id: r.body.id, token: r.body.trackingToken, total: r.body.total, status: r.body.status });
    if (way === 'pickup-card') await this.payByCard(p);
  }

  async moveOne(p: Placed) {
    const shop = this.o.shops.find((s) => s.id === p.shop)!;
    const seen = await shop.kitchen.retried('GET', `/api/orders/${p.id}`);
    if (seen.status !== 200) return;
    p.status = seen.body.status;
    const to = NEXT[p.status];
    if (!to || (to === 'collected' && p.way === 'delivery-door')) return void (p.done = p.status !== 'pending_payment' && (!to || to === 'collected'));
    const due = Number(seen.body.amountDueCents ?? 0);
    const r = await shop.kitchen.retried('POST', `/api/orders/${p.id}/status`, { to, ...(to === 'collected' && due > 0 ? { paymentMethod: 'cash' } : {}) });
    if (r.status === 200) p.status = r.body.status ?? to;
  }
}

const ADDRESSES: Record<string, { street: string; postcode: string; city: string; lat: number; lng: number }> = {
  bastille: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 },
  montmartre: { street: '20 rue Lepic', postcode: '75018', city: 'Paris', lat: 48.8853, lng: 2.3336 },
  batignolles: { street: '30 rue des Dames', postcode: '75017', city: 'Paris', lat: 48.8837, lng: 2.3216 },
  montparnasse: { street: '10 rue de la Gaîté', postcode: '75014', city: 'Paris', lat: 48.8395, lng: 2.3233 },
  canal: { street: '40 quai de Valmy', postcode: '75010', city: 'Paris', lat: 48.8716, lng: 2.3648 },
};
