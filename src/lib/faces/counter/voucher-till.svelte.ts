// A titre-restaurant at the counter, as the screen holds it: the order it pays part of, the issuer,
// the card's reference and the amount; what the server allows for that card today (its food and soft
// drinks, the card's daily amount, Sundays and holidays) asked as soon as the reference is typed; and
// the voucher part declared (src/lib/server/money/meal-vouchers.ts). The rest is then taken as usual.
import { api } from '$lib/shared/api-client.ts';
import type { MealVoucherIssuer } from '$lib/domain/meal-vouchers.ts';
import type { VoucherAllowance } from '$lib/server/money/meal-vouchers.ts';

/** The rules' refusals the counter says in its own words (meal-vouchers.ts, refusalError). */
const REFUSALS = ['voucher_not_eligible', 'voucher_daily_limit', 'voucher_more_than_due', 'voucher_sunday', 'voucher_holiday'];

export class VoucherTill {
  order = $state<{ id: string; number: number } | null>(null);
  issuer = $state<MealVoucherIssuer>('swile');
  reference = $state('');
  /** In euros, as typed. */
  amount = $state('');
  allowance = $state<VoucherAllowance | null>(null);
  error = $state<string | null>(null);
  /** A rule the server refused the voucher by (its code), with the most it allows: said in the counter's words. */
  refusal = $state<{ code: string; maxCents: number } | null>(null);
  done = $state<{ cents: number; number: number } | null>(null);
  busy = $state(false);

  async open(order: { id: string; number: number }) {
    this.order = order;
    this.reference = '';
    this.error = null;
    this.refusal = null;
    this.done = null;
    await this.check();
  }

  close() {
    this.order = null;
    this.allowance = null;
    this.error = null;
  }

  /** What the server allows for the card typed (or for the order alone, without a reference yet); the amount offered is the most. */
  async check() {
    if (!this.order) return;
    const ref = this.reference.trim();
    const r = await api.get<VoucherAllowance>(`/api/orders/${this.order.id}/meal-voucher${ref.length >= 4 ? `?reference=${encodeURIComponent(ref)}` : ''}`);
    if (!r.ok) return void (this.error = r.message ?? 'offline');
    this.allowance = r.data;
    this.amount = (r.data.maxCents / 100).toFixed(2).replace('.', ',');
  }

  async take() {
    if (!this.order) return;
    const cents = Math.round(Number(this.amount.replace(',', '.').replace(/[^\d.]/g, '')) * 100);
    this.busy = true;
    this.error = null;
    this.refusal = null;
    const r = await api.post(`/api/orders/${this.order.id}/meal-voucher`, { issuer: this.issuer, amountCents: cents, reference: this.reference.trim() });
    this.busy = false;
    if (!r.ok) {
      const max = (r.body as { error?: { maxCents?: unknown } } | null)?.error?.maxCents;
      if (r.code && REFUSALS.includes(r.code) && typeof max === 'number') return void (this.refusal = { code: r.code, maxCents: max });
      return void (this.error = r.message ?? 'offline');
    }
    this.done = { cents, number: this.order.number };
    this.close();
  }
}
