import { onMount } from 'svelte';
import type { I18n } from '../../i18n/core.ts';
import type { LiveConnection } from '../../realtime/live.svelte.ts';
import type { DriverOnMap, FleetUpdate, OrderView } from '../../shapes/views.ts';
import { api } from '../../shared/api-client.ts';
import { figuresByShop, firesByOrder, heldUntil, placeDriver } from './manager-board.ts';

// head office hears every shop's push at once on subscribing, and again every 15 s: taken in
// together, a few times a second, not one redraw of the cards, the alerts and the map per shop
// (a chain of hundreds of shops kept the page busy for half a minute, taps on the menu waiting)
const FLEET_BATCH_MS = 250;

/**
 * The fleet on the live page: each shop's drivers and the day's figures, pushed by the hub (when the
 * page subscribes, within a second of any order change, and every 15 s for shifts, loans and phones
 * gone quiet), the drivers' positions live in between: no request of its own. Create it while the
 * page is created.
 */
export class Fleet {
  /** Each shop's last push. */
  byShop = $state<Record<number, FleetUpdate>>({});
  /** Head office lending a driver: being sent, or why it was refused. */
  lending = $state<Record<number, 'busy' | string>>({});
  #waiting: FleetUpdate[] = [];
  readonly #t: I18n['t'];

  /** Each driver once, as the shop they work for tonight says (a driver just lent may still be in their home shop's last push). */
  drivers = $derived.by(() => {
    const all = Object.values(this.byShop).flatMap((f) => f.drivers.map((d) => ({ d, from: f.pizzeriaId })));
    const byId: Record<number, DriverOnMap> = {};
    for (const { d, from } of all) if (!byId[d.id] || from === d.worksFor) byId[d.id] = d;
    return Object.values(byId);
  });
  figures = $derived(Object.values(this.byShop).flatMap((f) => (f.figures ? [f.figures] : [])));
  /** Whether the hub has told any shop's fleet yet: before, the page does not say nobody is on shift. */
  known = $derived(Object.keys(this.byShop).length > 0);
  figuresOf = $derived(figuresByShop(this.figures));
  // when the shop's plan fires each waiting ticket (pushed with the fleet)
  planned = $derived(firesByOrder(Object.values(this.byShop)));

  constructor(live: LiveConnection, t: I18n['t']) {
    this.#t = t;
    live.onFleet((f) => {
      if (!this.#waiting.length) setTimeout(() => {
        const batch = this.#waiting;
        this.#waiting = [];
        for (const x of batch) this.byShop[x.pizzeriaId] = x;
      }, FLEET_BATCH_MS);
      this.#waiting.push(f);
    });
    onMount(() => live.onPosition((p) => void ('pizzeriaId' in p && placeDriver(this.drivers, p))));
  }

  /** A ticket the plan holds past the next minute: when it is to be fired. */
  heldUntil(o: OrderView, now: number): string | null {
    return heldUntil(o, this.planned, now);
  }

  /** Head office: lends a driver to a neighbouring shop for the evening. */
  async lend(d: DriverOnMap, toShop: number) {
    this.lending[d.id] = 'busy';
    const res = await api.post(`/api/drivers/${d.id}/lend`, { toShop });
    if (res.ok) {
      // the driver works for that shop from now: shown there at once, the next push confirms it
      for (const f of Object.values(this.byShop)) for (const x of f.drivers) if (x.id === d.id) x.worksFor = toShop;
      delete this.lending[d.id];
    } else this.lending[d.id] = res.message ?? this.#t('order.failed');
  }
}
