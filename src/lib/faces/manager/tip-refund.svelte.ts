import type { I18n } from '../../i18n/core.ts';
import type { OrderTip } from '../../server/money/tip-refunds.ts';

/**
 * The tips of an order's page in the back office: each card tip paid may be given back, whole, once,
 * after a confirmation; sent under one key per confirmation (a double tap or a retry refunds once),
 * then the provider's answer waited for a little while (the workers make the refund).
 */
export class TipRefunds {
  tips = $state<OrderTip[]>([]);
  /** The tip whose refund is being confirmed. */
  confirming = $state<string | null>(null);
  busy = $state(false);
  said = $state<{ kind: 'done' | 'pending' | 'error'; text: string } | null>(null);
  #key = '';
  readonly #orderId: () => string;
  readonly #t: I18n['t'];
  readonly #price: I18n['price'];

  constructor(orderId: () => string, initial: OrderTip[], { t, price }: Pick<I18n, 't' | 'price'>) {
    this.#orderId = orderId;
    this.tips = initial;
    this.#t = t;
    this.#price = price;
  }

  ask(tipId: string) {
    this.said = null;
    this.#key = crypto.randomUUID();
    this.confirming = tipId;
  }

  cancel() {
    this.confirming = null;
  }

  async reload() {
    const res = await fetch(`/api/orders/${this.#orderId()}/tips`);
    if (res.ok) this.tips = await res.json();
  }

  async confirm() {
    const tipId = this.confirming;
    if (!tipId || this.busy) return;
    const t = this.#t;
    this.busy = true;
    try {
      const res = await fetch(`/api/orders/${this.#orderId()}/tip-refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': this.#key },
        body: JSON.stringify({ tipId }),
      });
      const answer = await res.json().catch(() => ({}));
      this.confirming = null;
      if (!res.ok) {
        const code = answer?.error?.code as string | undefined;
        this.said = { kind: 'error', text: code && code in REFUSALS ? t(`refund.tip.refused.${code}`) : (answer?.error?.message ?? res.statusText) };
        await this.reload();
        return;
      }
      this.said = { kind: 'pending', text: t('refund.tip.pending') };
      await this.#settled(tipId);
    } catch {
      // the network: the same key again refunds at most once
      this.said = { kind: 'error', text: t('refund.networkError') };
    } finally {
      this.busy = false;
    }
  }

  /** Waits for the provider's answer (the workers'), a little while; still pending then, said so. */
  async #settled(tipId: string) {
    const t = this.#t;
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 700));
      await this.reload();
      const tip = this.tips.find((x) => x.tipId === tipId);
      if (tip?.refund?.state === 'done') return void (this.said = { kind: 'done', text: t('refund.tip.done', { amount: this.#price(tip.amountCents) }) });
      if (tip?.refund?.state === 'failed') return void (this.said = { kind: 'error', text: t('refund.tip.failed', { why: tip.refund.failure ?? '' }) });
    }
    this.said = { kind: 'pending', text: t('refund.stillPending') };
  }
}

/** The refusals the page says in its own words. */
const REFUSALS = { no_tip: 1, cash_tip: 1, tip_not_paid: 1, tip_already_refunded: 1, tip_refund_pending: 1 } as const;
