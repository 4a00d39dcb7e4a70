// The pass in the order people come for what is ready: whoever is coming first, first. A platform's
// courier at the counter (or late), then by when each is expected: the courier's time, the shop's
// driver back (at once when here), the customer collecting at the time they were told; what nobody is
// known to be coming for yet last; among equals the one ready longest. Plain TypeScript.
import type { OrderView } from '../../shapes/views.ts';
import { collectedByCourier, courierLine } from '../../shared/platform-orders.ts';

/** When someone is expected to take the order from the pass (ms), or Infinity when nobody is known yet. */
export function expectedAt(o: OrderView, nowMs: number, driverBackAt: (driverId: number) => string | null | undefined): number {
  if (collectedByCourier(o)) {
    const line = courierLine(o, nowMs);
    if (line?.kind === 'arrived' || line?.kind === 'late' || line?.kind === 'now') return nowMs - 1;
    const eta = o.marketplace?.courier?.eta ? Date.parse(o.marketplace.courier.eta) : NaN;
    if (Number.isFinite(eta)) return eta;
    return line?.kind === 'arriving' ? nowMs : Infinity;
  }
  if (o.fulfilment === 'delivery') {
    if (!o.driver) return Infinity;
    const back = driverBackAt(o.driver.id);
    return back ? Math.max(nowMs, Date.parse(back)) : Infinity;
  }
  return o.promisedAt ? Math.max(nowMs, Date.parse(o.promisedAt)) : nowMs;
}

const readySince = (o: OrderView) => Date.parse(o.timestamps.ready ?? o.timestamps.created ?? '') || 0;

/** The ready orders, whoever is coming first first (the pass's order). */
export function passOrder(ready: readonly OrderView[], nowMs: number, driverBackAt: (driverId: number) => string | null | undefined): OrderView[] {
  const when = new Map(ready.map((o) => [o.id, expectedAt(o, nowMs, driverBackAt)]));
  return [...ready].sort((a, b) => {
    const d = when.get(a.id)! - when.get(b.id)!;
    return Number.isNaN(d) || d === 0 ? readySince(a) - readySince(b) : d;
  });
}
