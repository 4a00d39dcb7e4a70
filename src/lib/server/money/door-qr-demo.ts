// The demo's door payment page (no Stripe keys: development, a demo): a page of this server
// (/pay/door/<session>) plays Stripe Checkout's hosted page. The customer's "pay" or "refused"
// becomes the `checkout.session.*` event Stripe would send, signed with the local webhook secret and
// received by the same webhook code as Stripe's. No card is ever charged. Its sessions live in this
// process (kept on the process, not the module: the API and the built pages each load this file).
import { randomBytes } from 'node:crypto';
import { AppError } from '../kernel/errors.ts';
import type { DoorQrProvider, ProviderDoorPayment } from './door-qr.ts';
import { signStripeEvent } from './stripe.ts';

interface DemoSession {
  id: string;
  amountCents: number;
  shopId: number;
  orderId: string;
  paymentId: string;
  status: 'open' | 'complete' | 'expired';
  paid: boolean;
  refunded: boolean;
  at: Date;
  expiresAt: Date;
}

function sessionsOf(secret: string): Map<string, DemoSession> {
  const all = ((globalThis as { [k: symbol]: unknown })[Symbol.for('ocp.demoDoorQr')] ??= new Map()) as Map<string, Map<string, DemoSession>>;
  if (!all.has(secret)) all.set(secret, new Map());
  return all.get(secret)!;
}

export class DemoDoorQrProvider implements DoorQrProvider {
  readonly name = 'demo';
  private readonly sessions: Map<string, DemoSession>;

  constructor(private readonly secret: string) {
    this.sessions = sessionsOf(secret);
  }

  async open(r: { paymentId: string; orderId: string; shopId: number; amountCents: number; expiresAt: Date; returnUrl: string }) {
    const id = `cs_demo_${r.paymentId.replaceAll('-', '')}`;
    if (!this.sessions.has(id)) {
      this.sessions.set(id, { id, amountCents: r.amountCents, shopId: r.shopId, orderId: r.orderId, paymentId: r.paymentId, status: 'open', paid: false, refunded: false, at: new Date(), expiresAt: r.expiresAt });
    }
    return { ref: id, url: `${new URL(r.returnUrl).origin}/pay/door/${id}` };
  }

  async expire(ref: string): Promise<'expired' | 'paid'> {
    const s = this.sessions.get(ref);
    if (s?.status === 'complete') return 'paid';
    if (s) s.status = 'expired';
    return 'expired';
  }

  async refund(r: { ref: string }): Promise<void> {
    const s = this.sessions.get(r.ref);
    if (s) s.refunded = true;
  }

  async paid(from: Date, to: Date): Promise<ProviderDoorPayment[]> {
    return [...this.sessions.values()]
      .filter((s) => s.paid && s.at >= from && s.at < to)
      .map((s) => ({ id: s.id, amountCents: s.amountCents, shopId: s.shopId, orderId: s.orderId }));
  }

  /** The page as the customer sees it: what it asks, and whether it can still be paid. */
  session(ref: string): { amountCents: number; status: 'open' | 'complete' | 'expired' } | null {
    const s = this.sessions.get(ref);
    if (!s) return null;
    if (s.status === 'open' && s.expiresAt.getTime() <= Date.now()) s.status = 'expired';
    return { amountCents: s.amountCents, status: s.status };
  }

  /** The customer pays (or their bank refuses): the signed event Stripe would send. */
  pay(ref: string, outcome: 'paid' | 'refused'): { payload: string; signature: string } {
    const s = this.sessions.get(ref);
    if (!s || this.session(ref)?.status !== 'open') throw new AppError(409, 'session_closed', 'this payment page is closed');
    const paid = outcome === 'paid';
    if (paid) Object.assign(s, { status: 'complete', paid: true });
    const event = {
      id: `evt_demo_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type: paid ? 'checkout.session.completed' : 'checkout.session.async_payment_failed',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: {
        object: {
          id: s.id, object: 'checkout.session', mode: 'payment', status: paid ? 'complete' : 'open', payment_status: paid ? 'paid' : 'unpaid',
          amount_total: s.amountCents, currency: 'eur', payment_intent: paid ? `pi_demo_${s.paymentId.replaceAll('-', '')}` : null,
          metadata: { order_id: s.orderId, door_qr: s.paymentId, pizzeria_id: String(s.shopId) },
        },
      },
    };
    const payload = JSON.stringify(event);
    return { payload, signature: signStripeEvent(payload, this.secret) };
  }
}
