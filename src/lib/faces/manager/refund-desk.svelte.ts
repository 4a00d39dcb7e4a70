import type { I18n } from '../../i18n/core.ts';
import type { RefundMethod, RefundReason } from '../../domain/refunds.ts';
import type { refundableLines, refundsOfOrder } from '../../server/money/refund-reads.ts';
import { linesCents, refundPlan, saidInOwnWords, typedCents } from './refund-plan.ts';

/** An order's refunds and what is left, as the server last said, with the lines a refund may choose. */
export type OrderRefunds = Awaited<ReturnType<typeof refundsOfOrder>> & { lines: Awaited<ReturnType<typeof refundableLines>> };
type Refund = OrderRefunds['refunds'][number];
export type RefundOutcome = { kind: 'done' | 'pending' | 'stillPending' | 'failed' | 'error'; text: string };

/**
 * The refund form of an order's page: the whole, some lines or an amount, the way it goes back
 * (an order paid in two ways), the reason; reviewed, then confirmed; sent once (a retry of the
 * same one cannot refund twice), and the provider's answer waited for a little while.
 */
export class RefundDesk {
  // the refunds and what is left, as the server last said (read again after each refund)
  refunds = $state(null as unknown as OrderRefunds);
  mode = $state<'whole' | 'lines' | 'amount'>('whole');
  quantities = $state<Record<number, number>>({});
  euros = $state('');
  reason = $state<RefundReason | ''>('');
  note = $state('');
  confirming = $state(false);
  busy = $state(false);
  problem = $state('');
  outcome = $state<RefundOutcome | null>(null);
  // an order paid in two ways: which part a partial refund gives back (the whole gives back each its own way)
  way = $state<RefundMethod | ''>('');
  // one key per refund the manager confirms: a retry of the same one (a timeout) cannot refund twice
  #key = '';
  readonly #orderId: () => string;
  readonly #t: I18n['t'];
  readonly #price: I18n['price'];

  freeChosen = $derived(this.mode === 'lines' && this.refunds.lines.some((l) => l.freeWithPoints && (this.quantities[l.itemId] ?? 0) > 0));
  amountCents = $derived(this.mode === 'whole' ? this.refunds.refundableCents : this.mode === 'lines' ? linesCents(this.refunds.lines, this.quantities) : typedCents(this.euros));
  mixed = $derived(this.refunds.parts.length > 1);
  usableParts = $derived(this.refunds.parts.filter((p) => !p.why && p.refundableCents > 0));
  chosenPart = $derived(this.mixed && this.mode !== 'whole' ? (this.usableParts.find((p) => p.method === this.way) ?? this.usableParts[0] ?? null) : null);
  limit = $derived(this.chosenPart ? this.chosenPart.refundableCents : this.refunds.refundableCents);
  /** How the amount goes back. */
  plan = $derived(refundPlan(this.amountCents, { chosen: this.chosenPart, mixed: this.mixed, method: this.refunds.method, usable: this.usableParts }));
  methodText = $derived(this.methodsText(this.plan));

  constructor(orderId: () => string, initial: OrderRefunds, { t, price }: Pick<I18n, 't' | 'price'>) {
    this.#orderId = orderId;
    this.#t = t;
    this.#price = price;
    this.refunds = initial;
  }

  methodsText(parts: { method: string; cents: number }[]): string {
    const t = this.#t;
    return parts.length === 1 ? t(`refund.method.${parts[0].method}`) : parts.map((p) => t('refund.partOf', { amount: this.#price(p.cents), method: t(`refund.method.${p.method}`) })).join(t('refund.and'));
  }

  review() {
    const t = this.#t;
    this.problem = '';
    this.outcome = null;
    if (this.amountCents <= 0 && !this.freeChosen) this.problem = t('refund.chooseSomething');
    else if (this.amountCents > this.limit) this.problem = this.chosenPart ? t('refund.overPart', { amount: this.#price(this.limit) }) : t('refund.cannot.over_refundable', { amount: this.#price(this.limit) });
    else if (!this.reason) this.problem = t('refund.chooseReason');
    if (this.problem) return;
    this.#key = crypto.randomUUID();
    this.confirming = true;
  }

  async reload() {
    const res = await fetch(`/api/orders/${this.#orderId()}/refunds`);
    if (res.ok) this.refunds = await res.json();
  }

  #described(r: Refund) {
    return { amount: this.#price(r.amountCents), method: this.#t(`refund.method.${r.method}`), why: r.failure ?? '' };
  }

  /** Waits for the provider's answer (the workers'), a little while; a refund still pending then is said so. */
  async #settled(id: number): Promise<Refund | null> {
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 700));
      await this.reload();
      const r = this.refunds.refunds.find((x) => x.id === id);
      if (r && r.status !== 'pending') return r;
    }
    return null;
  }

  #body(): Record<string, unknown> {
    const body: Record<string, unknown> = { reason: this.reason, ...(this.note.trim() ? { note: this.note.trim() } : {}) };
    if (this.mode === 'lines') body.lines = this.refunds.lines.filter((l) => (this.quantities[l.itemId] ?? 0) > 0).map((l) => ({ itemId: l.itemId, quantity: this.quantities[l.itemId] }));
    else body.amountCents = this.amountCents;
    if (this.chosenPart) body.method = this.chosenPart.method;
    return body;
  }

  async send() {
    const t = this.#t;
    this.busy = true;
    this.problem = '';
    try {
      const res = await fetch(`/api/orders/${this.#orderId()}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': this.#key },
        body: JSON.stringify(this.#body()),
      });
      const answer = await res.json().catch(() => ({}));
      if (!res.ok) {
        const code = answer?.error?.code as string | undefined;
        this.outcome = { kind: 'error', text: t('refund.error', { why: saidInOwnWords(code) ? t(`refund.cannot.${code}`, { amount: this.#price(this.refunds.refundableCents) }) : (answer?.error?.message ?? res.statusText) }) };
        this.confirming = false;
        await this.reload();
        return;
      }
      // one row per way the money goes back (an order paid in two ways: the card's, then the cash)
      await this.#answered((answer.refunds ?? [answer.refund]) as Refund[]);
    } catch {
      // the network: the same key again refunds at most once
      this.outcome = { kind: 'error', text: t('refund.networkError') };
    } finally {
      this.busy = false;
    }
  }

  /** The refunds made: the provider's answer waited for, then said; the form emptied once none is pending. */
  async #answered(made: Refund[]) {
    const t = this.#t;
    this.confirming = false;
    const sent = made.find((r) => r.status === 'pending');
    if (sent) {
      this.outcome = { kind: 'pending', text: t('refund.pending', this.#described(sent)) };
      const answered = await this.#settled(sent.id);
      if (answered) made[made.findIndex((r) => r.id === sent.id)] = answered;
    } else await this.reload();
    const failed = made.find((r) => r.status === 'failed');
    const total = made.reduce((s, r) => s + r.amountCents, 0);
    const refund = failed ?? made.find((r) => r.status === 'pending') ?? made[0];
    this.outcome =
      failed ? { kind: 'failed', text: t('refund.failed', this.#described(failed)) }
      : refund.status === 'pending' ? { kind: 'stillPending', text: t('refund.stillPending') }
      : { kind: 'done', text: t('refund.done', { amount: this.#price(total), method: this.methodsText(made.map((r) => ({ method: r.method, cents: r.amountCents }))) }) + (this.freeChosen ? ` ${t('refund.pointsBack')}` : '') };
    if (refund.status !== 'pending') {
      this.quantities = {};
      this.euros = '';
      this.note = '';
      this.reason = '';
      this.mode = 'whole';
      this.way = '';
    }
  }
}
