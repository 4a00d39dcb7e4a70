// The demo's card terminal (no Stripe keys: development, a demo): a simulated reader in this process,
// registered with Stripe's test code `simulated-wpe`. The counter's demo control presents a card to
// it (approved, or Stripe's declined test card 4000 0000 0000 0002); the reader's outcome becomes the
// `terminal.reader.action_*` event Stripe would send, signed with the local webhook secret and
// received by the same webhook code as Stripe's. No card is ever charged. What it took lives in this
// process (the takings' reconciliation of a demo compares with what it kept since it started).
import { randomBytes } from 'node:crypto';
import { AppError } from '../kernel/errors.ts';
import { signStripeEvent } from './stripe.ts';
import type { ProviderTerminalPayment, TerminalProvider } from './terminal.ts';

interface DemoIntent {
  id: string;
  amountCents: number;
  shopId: number;
  orderId: string;
  status: 'waiting' | 'succeeded' | 'declined' | 'canceled';
  at: Date;
}

/**
 * The simulated readers' memory, one per process (and webhook secret): kept on the process, not the
 * module, since the API and the built pages each load their own copy of this file.
 */
function simulatorOf(secret: string): { intents: Map<string, DemoIntent>; actions: Map<string, string> } {
  const all = ((globalThis as { [k: symbol]: unknown })[Symbol.for('ocp.demoTerminal')] ??= new Map()) as Map<string, ReturnType<typeof simulatorOf>>;
  if (!all.has(secret)) all.set(secret, { intents: new Map(), actions: new Map() });
  return all.get(secret)!;
}

export class DemoTerminalProvider implements TerminalProvider {
  readonly name = 'demo';
  private readonly intents: Map<string, DemoIntent>;
  /** Each reader's intent in progress. */
  private readonly actions: Map<string, string>;

  constructor(private readonly secret: string) {
    ({ intents: this.intents, actions: this.actions } = simulatorOf(secret));
  }

  async createLocation(shop: { id: number }): Promise<string> {
    return `tml_demo_${shop.id}`;
  }

  async registerReader(r: { code: string }): Promise<string> {
    if (r.code !== 'simulated-wpe') throw new AppError(400, 'bad_registration_code', 'the demo registers a simulated reader: its code is simulated-wpe', { fields: { code: 'simulated-wpe' } });
    return `tmr_demo_${randomBytes(6).toString('hex')}`;
  }

  async charge(r: { paymentId: string; orderId: string; shopId: number; amountCents: number }): Promise<string> {
    const id = `pi_demo_${r.paymentId.replaceAll('-', '')}`;
    if (!this.intents.has(id)) this.intents.set(id, { id, amountCents: r.amountCents, shopId: r.shopId, orderId: r.orderId, status: 'waiting', at: new Date() });
    return id;
  }

  async process(readerRef: string, intentId: string): Promise<void> {
    const busy = this.actions.get(readerRef);
    if (busy && busy !== intentId && this.intents.get(busy)?.status === 'waiting') throw new AppError(409, 'reader_busy', 'the reader is busy with another payment');
    this.actions.set(readerRef, intentId);
  }

  async cancel(readerRef: string, intentId: string | null): Promise<'cancelled' | 'taken'> {
    const intent = intentId ? this.intents.get(intentId) : undefined;
    if (intent?.status === 'succeeded') return 'taken';
    if (intent) intent.status = 'canceled';
    if (this.actions.get(readerRef) === intentId) this.actions.delete(readerRef);
    return 'cancelled';
  }

  async taken(from: Date, to: Date): Promise<ProviderTerminalPayment[]> {
    return [...this.intents.values()]
      .filter((i) => i.status === 'succeeded' && i.at >= from && i.at < to)
      .map((i) => ({ id: i.id, amountCents: i.amountCents, shopId: i.shopId, orderId: i.orderId }));
  }

  /** A card presented to the simulated reader: the signed event Stripe would send for its outcome. */
  present(readerRef: string, outcome: 'approved' | 'declined'): { payload: string; signature: string } {
    const intent = this.intents.get(this.actions.get(readerRef) ?? '');
    if (!intent || intent.status !== 'waiting') throw new AppError(409, 'no_action', 'the reader is not waiting for a card');
    intent.status = outcome === 'approved' ? 'succeeded' : 'declined';
    this.actions.delete(readerRef);
    const failed = outcome === 'declined';
    const event = {
      id: `evt_demo_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type: failed ? 'terminal.reader.action_failed' : 'terminal.reader.action_succeeded',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: {
        object: {
          id: readerRef, object: 'terminal.reader', device_type: 'simulated_wisepos_e', status: 'online',
          action: {
            type: 'process_payment_intent', status: failed ? 'failed' : 'succeeded',
            failure_code: failed ? 'card_declined' : null, failure_message: failed ? 'Your card was declined.' : null,
            process_payment_intent: { payment_intent: intent.id },
          },
        },
      },
    };
    const payload = JSON.stringify(event);
    return { payload, signature: signStripeEvent(payload, this.secret) };
  }
}
