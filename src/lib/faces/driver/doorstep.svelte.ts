import type { HandoverMethod } from '../../domain/payment-split.ts';
import type { I18n } from '../../i18n/core.ts';
import type { FailureReason, OrderView } from '../../shapes/views.ts';
import { api } from '../../shared/api-client.ts';
import type { StaffTaps } from '../../shared/staff-actions.svelte.ts';
import { typedCents } from './delivery-links.ts';
import { DoorQrCode } from './door-qr.svelte.ts';

/**
 * At the door: the handover panel, of one order at a time. Delivered with the PIN the customer
 * reads on their tracking page, or with a photo; what was collected; or why it could not be.
 * Every handover goes through the page's taps (kept while offline).
 */
export class Doorstep {
  /** The order whose panel is open. */
  open = $state<string | null>(null);
  pin = $state('');
  method = $state<HandoverMethod>('cash');
  amount = $state('');
  failing = $state(false);
  // failing a delivery takes two taps: the reason, then the confirmation (a slip of the thumb sends nothing)
  failReason = $state<FailureReason | null>(null);
  photoBusy = $state(false);
  photoTaken = $state<Record<string, boolean>>({});
  error = $state<string | null>(null);
  /** Whether the customer may pay at the door by QR code (payments taken online here). */
  qrEnabled = false;
  /** The QR code shown at the door, for the open order. */
  readonly qr: DoorQrCode;
  readonly #taps: StaffTaps;
  readonly #t: I18n['t'];
  readonly #locale: I18n['locale'];

  constructor(taps: StaffTaps, t: I18n['t'], locale: I18n['locale'] = 'fr') {
    this.#taps = taps;
    this.#t = t;
    this.#locale = locale;
    this.qr = new DoorQrCode(t);
  }

  /** Opens the order's panel afresh (the amount due typed in), or closes it. */
  toggle(o: OrderView) {
    this.open = this.open === o.id ? null : o.id;
    this.qr.reset();
    this.pin = '';
    this.method = 'cash';
    // as the driver reads and types it: "25,00" in French (typedCents takes either mark)
    const due = (o.amountDueCents / 100).toFixed(2);
    this.amount = this.#locale === 'fr' ? due.replace('.', ',') : due;
    this.failing = false;
    this.failReason = null;
    this.error = null;
  }

  #collected(o: OrderView) {
    // a QR code still open: the driver has not said cash or card (the server asks what was collected)
    if (this.qr.qr?.orderId === o.id && this.qr.qr.state === 'open') return undefined;
    return o.amountDueCents > 0 ? { amountCents: typedCents(this.amount), method: this.method } : undefined;
  }

  deliverWithPin(o: OrderView) {
    if (!/^\d{4}$/.test(this.pin)) {
      this.error = this.#t('driver.pinNeeded');
      return;
    }
    this.open = null;
    void this.#taps.submit({ kind: 'deliver', orderId: o.id, number: o.number, version: o.version, proof: { pin: this.pin }, collected: this.#collected(o) });
  }

  async takePhoto(o: OrderView, file: File | undefined) {
    if (!file) return;
    this.photoBusy = true;
    this.error = null;
    const res = await api.upload(`/api/orders/${o.id}/photo`, file, file.type || 'application/octet-stream');
    if (res.ok) this.photoTaken[o.id] = true;
    else this.error = res.status === null ? this.#t('driver.photoOffline') : (res.message ?? this.#t('order.failed'));
    this.photoBusy = false;
  }

  deliverWithPhoto(o: OrderView) {
    this.open = null;
    void this.#taps.submit({ kind: 'deliver', orderId: o.id, number: o.number, version: o.version, proof: { photo: true }, collected: this.#collected(o) });
  }

  confirmFailure(o: OrderView) {
    if (!this.failReason) return;
    const reason = this.failReason;
    this.open = null;
    this.failing = false;
    this.failReason = null;
    void this.#taps.submit({ kind: 'fail', orderId: o.id, number: o.number, version: o.version, reason });
  }

  /** Back from the reasons to the handover. */
  keep() {
    this.failing = false;
    this.failReason = null;
  }
}
