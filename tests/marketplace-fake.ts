// A delivery platform of the tests' own, in this process: it signs its webhooks (an HMAC of the
// body), reads them into notices, and records every call the workers make to it, so a test can
// drive the intake and see what the platform was told, whatever the real platforms' fakes do.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type {
  DenyReason, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn, MarketplaceOrderRef, MarketplaceProvider, MarketplaceReport, MarketplaceStep,
} from '../src/lib/server/marketplaces/provider.ts';

export type Call =
  | { call: 'accept'; ref: MarketplaceOrderRef; readyAt: Date }
  | { call: 'deny'; ref: MarketplaceOrderRef; reason: DenyReason; explanation: string }
  | { call: 'step'; ref: MarketplaceOrderRef; step: MarketplaceStep }
  | { call: 'cancel'; ref: MarketplaceOrderRef; reason: string }
  | { call: 'menu'; storeId: string; menu: MarketplaceMenu }
  | { call: 'availability'; storeId: string; items: { id: string; available: boolean }[] }
  | { call: 'status'; storeId: string; status: { open: boolean; busyMinutes: number } };

export class TestPlatform implements MarketplaceProvider {
  readonly configured = true;
  readonly calls: Call[] = [];
  /** Orders the webhook only names, as the platform's API answers them. */
  readonly orders = new Map<string, MarketplaceOrderIn>();
  constructor(
    readonly id: string,
    readonly label: string,
    private readonly secret: string,
  ) {}

  sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('hex');
  }
  verify(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const given = Buffer.from(String(headers['x-test-signature'] ?? ''), 'hex');
    const expected = Buffer.from(this.sign(rawBody.toString()), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  read(rawBody: Buffer): MarketplaceNotice[] {
    return (JSON.parse(rawBody.toString()) as { events: MarketplaceNotice[] }).events;
  }
  async fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn> {
    const o = this.orders.get(ref.externalId);
    if (!o) throw Object.assign(new Error('no such order'), { status: 404 });
    return o;
  }
  async accept(ref: MarketplaceOrderRef, readyAt: Date) {
    this.calls.push({ call: 'accept', ref, readyAt });
  }
  async deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string) {
    this.calls.push({ call: 'deny', ref, reason, explanation });
  }
  async step(ref: MarketplaceOrderRef, step: MarketplaceStep) {
    this.calls.push({ call: 'step', ref, step });
  }
  async cancel(ref: MarketplaceOrderRef, reason: string) {
    this.calls.push({ call: 'cancel', ref, reason });
  }
  async pushMenu(storeId: string, menu: MarketplaceMenu) {
    this.calls.push({ call: 'menu', storeId, menu });
  }
  async setAvailability(storeId: string, items: { id: string; available: boolean }[]) {
    this.calls.push({ call: 'availability', storeId, items });
  }
  async setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }) {
    this.calls.push({ call: 'status', storeId, status });
  }
  async report(storeId: string, weekStart: string): Promise<MarketplaceReport> {
    return { storeId, weekStart, orders: [], adjustmentsCents: 0, payoutCents: 0 };
  }

  /** Sends events to the app's webhook for this platform, signed (or with the signature given). */
  async send(base: string, events: MarketplaceNotice[], signature?: string): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify({ events });
    const res = await fetch(`${base}/api/marketplaces/${this.id}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-signature': signature ?? this.sign(body) },
      body,
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }
  callsOf<K extends Call['call']>(kind: K): Extract<Call, { call: K }>[] {
    return this.calls.filter((c): c is Extract<Call, { call: K }> => c.call === kind);
  }
}

/** A platform order of `lines` (our menu ids), for a store, wanted in `minutes`, with the platform's deadline in 10. */
export function platformOrder(storeId: string, externalId: string, lines: { id: string; name?: string; quantity?: number; cents: number; options?: string[] }[], over: Partial<MarketplaceOrderIn> = {}): MarketplaceOrderIn {
  const items = lines.map((l) => ({
    externalId: l.id, name: l.name ?? l.id, quantity: l.quantity ?? 1, unitPriceCents: l.cents, note: null,
    options: (l.options ?? []).map((o) => ({ externalId: o, name: o, quantity: 1, priceCents: 0 })),
  }));
  return {
    externalId, code: externalId.slice(-5).toUpperCase(), storeId, placedAt: new Date().toISOString(),
    acceptBy: new Date(Date.now() + 10 * 60_000).toISOString(), fulfilment: 'courier',
    customer: { name: 'Léa', phone: '+33611223344', note: 'sans oignons' }, address: null, lines: items,
    totalCents: items.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0), promisedAt: new Date(Date.now() + 25 * 60_000).toISOString(), courierEta: null,
    ...over,
  };
}
