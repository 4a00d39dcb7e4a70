import type { HandoverMethod } from '../../domain/payment-split.ts';
import type { I18n } from '../../i18n/core.ts';
import type { OrderView } from '../../shapes/views.ts';
import { api, type ApiResult } from '../../shared/api-client.ts';
import type { OrderSource } from '../../shared/order-ledger.ts';

type Pending = Record<string, 'busy' | string>;

/**
 * What a manager does to an order from the live page, each kept by order while it is sent, and
 * why it was refused: the answer is applied to the page's orders at once.
 */
export class OrderHands {
  /** A failed delivery back at the shop: out again or cancelled. */
  deciding = $state<Pending>({});
  /** A delivery whose PIN locked at the door, closed on the customer's word. */
  closing = $state<Pending>({});
  /** A ready delivery given to a driver, or taken off its driver. */
  assigning = $state<Pending>({});
  /** Urgent or not. */
  marking = $state<Pending>({});
  /** An order for later fired now. */
  firing = $state<Pending>({});
  readonly #orders: OrderSource;
  readonly #t: I18n['t'];

  constructor(orders: OrderSource, t: I18n['t']) {
    this.#orders = orders;
    this.#t = t;
  }

  async #send(pending: Pending, o: OrderView, request: () => Promise<ApiResult<OrderView>>) {
    pending[o.id] = 'busy';
    const res = await request();
    if (res.ok) {
      this.#orders.apply(res.data);
      delete pending[o.id];
    } else pending[o.id] = res.message ?? this.#t('order.failed');
  }

  // failed deliveries back at the shop: the manager decides, out again or cancelled
  async decide(o: OrderView, action: 'redeliver' | 'cancel') {
    if (action === 'cancel' && !confirm(this.#t('manager.confirmCancelFailed', { number: o.number }))) return;
    await this.#send(this.deciding, o, () =>
      api.post<OrderView>(
        action === 'redeliver' ? `/api/orders/${o.id}/redeliver` : `/api/orders/${o.id}/status`,
        action === 'redeliver' ? { version: o.version } : { to: 'cancelled', version: o.version },
      ),
    );
  }

  // deliveries whose PIN locked at the door: the driver can no longer close them; the manager calls
  // the customer, then closes it on their word (kept in the audit log)
  async closeLocked(o: OrderView, method?: HandoverMethod) {
    if (!confirm(this.#t('manager.confirmCloseLocked', { number: o.number }))) return;
    await this.#send(this.closing, o, () =>
      api.post<OrderView>(`/api/orders/${o.id}/deliver`, {
        version: o.version,
        ...(method ? { collected: { amountCents: o.amountDueCents, method } } : {}),
      }),
    );
  }

  // a manager's hand: give a ready delivery to a driver of the shop ('none': take it off its driver)
  async assign(o: OrderView, value: string) {
    if (!value) return;
    // no version: dispatch may have offered it meanwhile, which the manager's choice overrides
    // anyway; the server still checks the order is ready at the shop and the driver on shift
    await this.#send(this.assigning, o, () => api.post<OrderView>(`/api/orders/${o.id}/assign`, { driverId: value === 'none' ? null : Number(value) }));
  }

  // priority: an urgent order goes first on every kitchen screen (and here)
  async markUrgent(o: OrderView) {
    await this.#send(this.marking, o, () => api.post<OrderView>(`/api/orders/${o.id}/urgent`, { urgent: !o.urgent }));
  }

  // an order for later fired now by hand (a quiet oven, a customer early at the counter)
  async fireNow(o: OrderView) {
    await this.#send(this.firing, o, () => api.post<OrderView>(`/api/orders/${o.id}/fire`, {}));
  }
}
