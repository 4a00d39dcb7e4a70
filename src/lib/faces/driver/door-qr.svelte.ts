import type { I18n } from '../../i18n/core.ts';
import type { OrderView } from '../../shapes/views.ts';
import { api } from '../../shared/api-client.ts';

/** A code as the API gives it (server/api/door-qr.ts). */
export interface DoorQr {
  id: string;
  orderId: string;
  amountCents: number;
  state: 'open' | 'paid' | 'expired' | 'failed' | 'refund_due' | 'refunded';
  url: string | null;
  reason: string | null;
  expiresAt: string;
  qrSvg: string | null;
}

/** How often an open code is asked about (a failed or expired page changes no order: no event says it). */
const FOLLOW_MS = 3000;

/**
 * The QR code shown at the door for one order: asked of the server, followed while it is open, and
 * closed by the driver (the customer pays cash after all). That it was paid is the order's own
 * news (its event through the socket: `paidByQr`), not this class's.
 */
export class DoorQrCode {
  qr = $state<DoorQr | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #t: I18n['t'];

  constructor(t: I18n['t']) {
    this.#t = t;
  }

  /** The order's code for what it owes (the same one while it is open). */
  async show(o: OrderView) {
    this.busy = true;
    this.error = null;
    const res = await api.post<DoorQr>(`/api/orders/${o.id}/door-qr`, {});
    this.busy = false;
    if (!res.ok) {
      this.error = res.status === null ? this.#t('driver.qr.offline') : (res.message ?? this.#t('order.failed'));
      return;
    }
    this.qr = res.data;
    this.#follow();
  }

  /** The driver closes the code: the page can no longer be paid (refused if the customer paid first). */
  async close() {
    if (!this.qr) return;
    const res = await api.post<DoorQr>(`/api/door-qr/${this.qr.id}/cancel`, {});
    if (res.ok) this.qr = null;
    else this.error = res.message ?? this.#t('order.failed');
    this.stop();
  }

  /** Forgets the code on this screen (the panel closed, the order handed over). */
  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  reset() {
    this.stop();
    this.qr = null;
    this.error = null;
  }

  #follow() {
    this.stop();
    this.#timer = setInterval(async () => {
      if (!this.qr || this.qr.state !== 'open') return this.stop();
      const res = await api.get<DoorQr>(`/api/door-qr/${this.qr.id}`);
      if (res.ok && this.qr?.id === res.data.id) this.qr = res.data;
    }, FOLLOW_MS);
  }
}

/** Whether the order was paid at the door by QR code (the provider's word, through the order's event). */
export const paidByQr = (o: OrderView) => o.delivery.collected?.method === 'qr' && o.amountDueCents === 0;
