// The counter's card terminal, as the screen follows it: the payment sent to the shop's reader for a
// pickup (src/lib/server/money/terminal.ts), its state asked again every second while the reader waits
// for the card (waiting, approved, declined, cancelled), and the last one kept on screen once settled
// (an approved pickup leaves the list: the counter still sees "approved").
import { api } from '$lib/shared/api-client.ts';
import type { TerminalPaymentView } from '$lib/server/money/terminal.ts';

const POLL_MS = 1000;

export class TerminalTill {
  /** The payment on screen, with the order's number. */
  current = $state<(TerminalPaymentView & { number: number }) | null>(null);
  /** Why the last request was refused (no reader, reader busy, unreachable). */
  error = $state<string | null>(null);
  busy = $state(false);
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** Sends what the order owes to the shop's reader. */
  async start(order: { id: string; number: number }) {
    this.busy = true;
    this.error = null;
    const r = await api.post<TerminalPaymentView>(`/api/orders/${order.id}/terminal-payments`, {});
    this.busy = false;
    if (!r.ok) return void (this.error = r.message ?? 'offline');
    this.current = { ...r.data, number: order.number };
    this.follow();
  }

  async cancel() {
    if (!this.current) return;
    this.busy = true;
    const r = await api.post<TerminalPaymentView>(`/api/terminal-payments/${this.current.id}/cancel`, {});
    this.busy = false;
    if (r.ok) this.update(r.data);
    else this.error = r.message ?? 'offline';
  }

  /** The demo's simulated reader: a card presented, approved or declined. */
  async demoCard(outcome: 'approved' | 'declined') {
    if (!this.current) return;
    this.busy = true;
    const r = await api.post<TerminalPaymentView>(`/api/terminal-payments/${this.current.id}/demo-card`, { outcome });
    this.busy = false;
    if (r.ok) this.update(r.data);
    else this.error = r.message ?? 'offline';
  }

  dismiss() {
    this.stop();
    this.current = null;
    this.error = null;
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private update(view: TerminalPaymentView) {
    if (this.current?.id === view.id) this.current = { ...this.current, ...view };
  }

  private follow() {
    this.stop();
    const id = this.current?.id;
    if (!id || this.current?.state !== 'waiting') return;
    this.timer = setTimeout(async () => {
      const r = await api.get<TerminalPaymentView>(`/api/terminal-payments/${id}`);
      if (r.ok) this.update(r.data);
      this.follow();
    }, POLL_MS);
  }
}
