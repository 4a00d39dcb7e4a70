import { getI18n } from '../../i18n/context.ts';
import { api } from '../../shared/api-client.ts';
import { lineKey, lineName } from '../../shapes/line-options.ts';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import type { MenuProduct } from '../../server/shops/catalogue.ts';
import type { TrackedOrder } from './tracked-order.svelte.ts';
import { changedItems, type DraftLine } from './track-card.ts';

/** The menu by product (read, never changed). */
const byId = (menu: MenuProduct[]) => new Map(menu.map((p) => [p.id, p]));

/** The error a refused change answers with. */
type Refused = { error?: { code?: string; message?: string; items?: { name: string }[] } } | null;

/**
 * A customer's changes to their order until the kitchen starts it: its lines edited (by product and
 * options: a large Reine and a plain one are two), a product added, or the order cancelled; what the
 * server refuses said in their words. Create it while the page is created.
 */
export class OrderChanges {
  editing = $state(false);
  /** The lines being changed, by product and options (lineKey). */
  draft = $state<Record<string, DraftLine>>({});
  addId = $state<number | ''>('');
  problem = $state<string | null>(null);
  busy = $state(false);
  readonly menuById: ReadonlyMap<number, MenuProduct>;

  private readonly tracked: TrackedOrder;
  private readonly data: () => { token: string; menu: MenuProduct[] };
  private readonly i18n = getI18n();

  constructor(tracked: TrackedOrder, data: () => { token: string; menu: MenuProduct[] }) {
    this.tracked = tracked;
    this.data = data;
    this.menuById = $derived(byId(data().menu));
    // the kitchen started while the customer was editing: the editor closes by itself
    $effect(() => {
      if (!tracked.changeable) this.editing = false;
    });
  }

  /**
   * The name in the visitor's language when the product is still on the menu, with the options chosen
   * (a half-and-half: "½ Reine / ½ Margherita", each half in the visitor's language).
   */
  itemName(i: OrderItemView): string {
    return lineName(i.halves ? i : { ...i, name: this.menuById.get(i.productId)?.name ?? i.name }, this.i18n.locale);
  }

  itemKey(i: OrderItemView): string {
    return lineKey(i.productId, i.options.map((o) => o.id), i.halves?.right.productId);
  }

  startEdit() {
    this.draft = Object.fromEntries(
      this.tracked.order.items.map((i) => [
        this.itemKey(i),
        { productId: i.productId, options: i.options.map((o) => o.id), name: this.itemName(i), quantity: i.quantity, ...(i.halves ? { secondHalfId: i.halves.right.productId } : {}) },
      ]),
    );
    this.editing = true;
    this.problem = null;
  }

  /** The product chosen in the list, added as a plain line. */
  addLine() {
    const id = this.addId;
    if (id === '') return;
    this.draft[lineKey(id)] = { productId: id, options: [], name: this.menuById.get(id)?.name ?? '', quantity: 1 };
    this.addId = '';
  }

  cancel() {
    if (confirm(this.i18n.t('track.confirmCancel'))) this.call('POST', '/cancel');
  }

  save() {
    const items = changedItems(this.draft);
    if (!items.length) return this.cancel();
    this.call('PATCH', '', { items, version: this.tracked.order.version });
  }

  private async call(method: string, path: string, body?: unknown) {
    const { t } = this.i18n;
    this.busy = true;
    this.problem = null;
    try {
      const res = await api.request<OrderView>(method, `/api/track/${this.data().token}${path}`, body || undefined);
      const json = (res.ok ? null : res.body) as Refused;
      if (res.ok) {
        if (!res.data) throw new Error('no order in the answer');
        if (res.data.version > this.tracked.order.version) this.tracked.order = res.data;
        this.editing = false;
      } else if (res.status === null || !json) {
        this.problem = t('order.failed');
      } else this.refused(json);
    } catch {
      this.problem = t('order.failed');
    } finally {
      this.busy = false;
    }
  }

  private refused(json: NonNullable<Refused>) {
    const { t } = this.i18n;
    const code = json.error?.code;
    if (code === 'too_late') {
      this.problem = t('track.tooLate');
      this.editing = false;
    } else if (code === 'already_cancelled') {
      this.problem = t('track.alreadyCancelled');
      this.editing = false;
    } else if (code === 'promo_order_fixed') {
      this.problem = this.tracked.fixedNote;
      this.editing = false;
    } else if (code === 'unavailable') {
      this.problem = t('order.unavailable', { items: (json.error?.items ?? []).map((i: { name: string }) => i.name).join(', ') });
    } else this.problem = json.error?.message ?? t('order.failed');
  }
}
