import type { I18n } from '../../i18n/core.ts';
import type { OrderView } from '../../shapes/views.ts';
import { api } from '../../shared/api-client.ts';
import type { OrderSource } from '../../shared/order-ledger.ts';
import { offerRefusal, type OfferedTrip } from './driver-board.ts';

/** The driver's answers to the trips offered: each order of a trip answered, and why an answer failed. */
export class OfferAnswers {
  /** By trip (the end of its offer): being answered, or why the answer failed. */
  answering = $state<Record<string, 'busy' | string>>({});
  readonly #orders: OrderSource;
  readonly #t: I18n['t'];

  constructor(orders: OrderSource, t: I18n['t']) {
    this.#orders = orders;
    this.#t = t;
  }

  /** Several trips offered at once (offered a moment apart, each with its own countdown): all accepted in one tap. */
  async acceptAll(trips: readonly OfferedTrip[], nowMs = Date.now()) {
    await Promise.all(trips.filter((trip) => Date.parse(trip.expiresAt) > nowMs && this.answering[trip.expiresAt] !== 'busy').map((trip) => this.answer(trip, true)));
  }

  async answer(trip: OfferedTrip, accept: boolean) {
    const t = this.#t;
    this.answering[trip.expiresAt] = 'busy';
    let error: string | null = null;
    for (const o of trip.orders) {
      const res = await api.post<OrderView>(`/api/orders/${o.id}/offer`, { accept, version: o.version });
      if (res.ok) this.#orders.apply(res.data);
      else if (res.status === null) error = t('driver.offerOffline');
      else {
        const refusal = offerRefusal(res.body as Parameters<typeof offerRefusal>[0]);
        error = refusal === 'gone' ? t('driver.offerGone') : (refusal.message ?? t('order.failed'));
      }
    }
    if (error) this.answering[trip.expiresAt] = error;
    else delete this.answering[trip.expiresAt];
  }
}
