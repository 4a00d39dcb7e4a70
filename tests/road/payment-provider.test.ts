// A third payment provider plugs in without touching the core: a bank's card gateway with its own
// webhook (its own body, event names and signature header) and its own calls, given to the server
// and the workers as Stripe and the demo page are. The order is held when the bank says so, taken
// when the kitchen starts, and every movement of money names the bank; a forged body changes nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/server/kernel/errors.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';
import type { PaymentNotice, PaymentNoticeKind } from '../../src/lib/server/money/notices.ts';
import type { CaptureRequest, PaymentKeeper, PaymentProvider, PaymentWebhook, RefundRequest, RefundResult } from '../../src/lib/server/money/provider.ts';
import { seededProduct, Client, createShop, move, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

const SECRET = 'banque-test-secret';
const LIVE = 20_000;

/** What the bank's webhook sends: its own words for what happened. */
interface BankMessage {
  ref: string;
  quoi: 'AUTORISATION' | 'DEBIT' | 'ANNULATION' | 'REFUS' | 'AUTRE';
  paiement: string;
  commande: string;
  tentative: number;
  montant: number;
  motif?: string;
}

const KINDS: Record<BankMessage['quoi'], PaymentNoticeKind> = { AUTORISATION: 'held', DEBIT: 'taken', ANNULATION: 'released', REFUS: 'refused', AUTRE: 'other' };
const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

function noticeOfBank(m: BankMessage): PaymentNotice {
  const kind = KINDS[m.quoi] ?? 'other';
  return {
    id: m.ref, provider: 'banque', kind, providerType: m.quoi, paymentId: m.paiement, orderId: m.commande, attempt: m.tentative,
    heldCents: kind === 'held' ? m.montant : 0, takenCents: kind === 'taken' ? m.montant : 0, reason: m.motif ?? null,
  };
}

/** The gateway's webhook: an HMAC of the body in X-Banque-Signature. */
const bankWebhook: PaymentWebhook = {
  path: 'banque',
  read(body: Buffer | string, headers: IncomingHttpHeaders): PaymentNotice {
    const given = Buffer.from(String(headers['x-banque-signature'] ?? ''), 'hex');
    const expected = Buffer.from(sign(body.toString()), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError(400, 'bad_signature', 'the signature does not match this body');
    return noticeOfBank(JSON.parse(body.toString()) as BankMessage);
  },
};

/** The gateway's side of the calls, as a bank's sandbox would answer them. */
class BankProvider implements PaymentProvider {
  readonly name = 'banque';
  readonly captures: CaptureRequest[] = [];
  constructor(private readonly keep: PaymentKeeper) {}
  async begin(order: OrderView) {
    const attempt = order.payment.attempt ?? 1;
    await this.keep(order.id, attempt, { id: `banque-${order.id}-${attempt}`, clientSecret: null });
  }
  async capture(r: CaptureRequest) {
    if (!this.captures.some((c) => c.idempotencyKey === r.idempotencyKey)) this.captures.push(r);
    return { amountCents: r.amountCents };
  }
  async release() {}
  async refund(r: RefundRequest): Promise<RefundResult> {
    return { amountCents: r.amountCents, reference: `banque-remb-${r.idempotencyKey}`, refundedAt: new Date() };
  }
  isRefusal() {
    return false;
  }
  noticeOf(event: unknown) {
    return noticeOfBank(event as BankMessage);
  }
}

let bank: BankProvider;
const stack = useStack({ workers: true, app: { paymentWebhook: bankWebhook }, workerOptions: { provider: (keep) => (bank = new BankProvider(keep)) } });

const send = async (m: BankMessage, signature = sign(JSON.stringify(m))) =>
  (await fetch(`${stack.base}/api/payments/banque/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-banque-signature': signature }, body: JSON.stringify(m) })).status;
const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;

describe('a bank gateway as a third payment provider', () => {
  it('holds the order when the bank authorises it, takes it when the kitchen starts, names the bank on every movement, and refuses a forged message', async () => {
    const shop = await createShop(stack.pool, 'banque');
    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Anouk', phone: '0611223355' },
      items: [{ productId: seededProduct('margherita'), quantity: 2 }], payment: 'online',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { id, trackingToken: token, total } = placed.body as { id: string; trackingToken: string; total: number };
    // the workers asked the bank for a payment, and the order keeps it
    await waitUntil(async () => (await stack.pool.query('SELECT payment_intent_id FROM orders WHERE id = $1', [id])).rows[0].payment_intent_id, LIVE, 'the payment made');
    const authorised: BankMessage = { ref: `banque-evt-${id}-1`, quoi: 'AUTORISATION', paiement: `banque-${id}-1`, commande: id, tentative: 1, montant: total };

    expect(await send(authorised, sign('something else'))).toBe(400);
    expect(await send({ ...authorised, montant: 1 }, sign(JSON.stringify(authorised)))).toBe(400);
    expect(await track(token)).toMatchObject({ status: 'pending_payment' });

    expect(await send(authorised)).toBe(200);
    await waitUntil(async () => (await track(token)).status === 'received', LIVE, 'the order to reach the kitchen');
    expect(await track(token)).toMatchObject({ payment: { status: 'authorised', paidWith: 'online' }, paidCents: total });

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, id, 'preparing');
    await waitUntil(async () => (await track(token)).payment.status === 'paid', LIVE, 'the capture');
    expect(bank.captures.filter((c) => c.orderId === id)).toEqual([{ orderId: id, paymentId: `banque-${id}-1`, amountCents: total, idempotencyKey: `capture-${id}` }]);
    const { rows } = await stack.pool.query('SELECT kind, amount_cents, provider, payment_intent_id FROM payment_movements WHERE order_id = $1 ORDER BY id', [id]);
    expect(rows).toEqual([
      { kind: 'authorised', amount_cents: total, provider: 'banque', payment_intent_id: `banque-${id}-1` },
      { kind: 'captured', amount_cents: total, provider: 'banque', payment_intent_id: `banque-${id}-1` },
    ]);
    const kept = await stack.pool.query('SELECT type, outcome FROM payment_events WHERE event_id = $1', [authorised.ref]);
    expect(kept.rows).toEqual([{ type: 'AUTORISATION', outcome: 'authorised' }]);
  });
});
