// What the shop's screens say of a delivery platform's order beyond its badge: where the platform's
// courier is (the pass, the counter), and whether a cancelled one was cancelled by the platform.
// Plain functions of the order view and the time.
import type { OrderView } from '../shapes/views.ts';
import { isFinal } from '../domain/order-states.ts';
import { platformName } from './marketplace-badges.ts';

/** Left this close to the courier's time, "arriving now" rather than "in 1 min". */
const NOW_MS = 30_000;
/** Past the courier's time by more than this, they are late ("expected 3 min ago"). */
const LATE_MS = 60_000;

/** The courier's line, by what the platform last said of its courier. */
export type CourierLine =
  | { kind: 'unassigned' }
  | { kind: 'assigned' }
  | { kind: 'coming'; minutes: number }
  | { kind: 'now' }
  | { kind: 'late'; minutes: number }
  | { kind: 'arriving' }
  | { kind: 'arrived' }
  | { kind: 'collected' };

export type CourierKind = CourierLine['kind'];

type Courier = Pick<OrderView, 'fulfilment' | 'marketplace'>;

/** Whether a platform's courier collects the order (a platform order the shop delivers itself goes to our drivers). */
export const collectedByCourier = (o: Courier): boolean => !!o.marketplace && o.fulfilment === 'pickup';

/**
 * Where the platform's courier is, for an order its courier collects (null: not such an order). The
 * minutes count down with `nowMs`, rounded to the nearest, so the line changes every half minute or so.
 */
export function courierLine(o: Courier, nowMs: number): CourierLine | null {
  if (!collectedByCourier(o)) return null;
  const c = o.marketplace!.courier;
  if (c?.state === 'collected') return { kind: 'collected' };
  if (c?.state === 'arrived') return { kind: 'arrived' };
  const eta = c?.eta ? Date.parse(c.eta) : NaN;
  if (Number.isFinite(eta)) {
    const left = eta - nowMs;
    if (left > NOW_MS) return { kind: 'coming', minutes: Math.max(1, Math.round(left / 60_000)) };
    if (left >= -LATE_MS) return { kind: 'now' };
    return { kind: 'late', minutes: Math.max(1, Math.round(-left / 60_000)) };
  }
  if (c?.state === 'arriving') return { kind: 'arriving' };
  if (c?.state === 'assigned') return { kind: 'assigned' };
  return { kind: 'unassigned' };
}

/** How pressing the line is: the courier is at the counter (or late), on their way, or not known yet. */
export function courierUrgency(line: CourierLine): 'here' | 'soon' | 'later' | 'unknown' {
  switch (line.kind) {
    case 'arrived':
    case 'late':
      return 'here';
    case 'now':
    case 'arriving':
      return 'soon';
    case 'coming':
      return line.minutes <= 5 ? 'soon' : 'later';
    case 'assigned':
      return 'later';
    default:
      return 'unknown';
  }
}

/**
 * A platform's order cancelled by the platform (its customer, its courier, the platform itself), not
 * by our staff: our own cancels name the shop, or a delivery that failed at the door.
 */
export const cancelledByPlatform = (o: Pick<OrderView, 'status' | 'marketplace' | 'cancelReason'>): boolean =>
  o.status === 'cancelled' && !!o.marketplace && o.cancelReason !== 'shop' && o.cancelReason !== 'delivery_failed';

/** The words of a courier's line: its message key in the `platform` section and what fills it in. */
export function courierMessage(line: CourierLine, platform: string): { key: string; params: Record<string, string | number> } {
  return { key: `platform.courier.${line.kind}`, params: { platform, ...('minutes' in line ? { minutes: line.minutes } : {}) } };
}

/** The courier's line in the screen's words, while the order is open (null: no courier collects it, or it is done). */
export function courierSays(o: Pick<OrderView, 'status' | 'fulfilment' | 'marketplace'>, nowMs: number, t: (key: string, params: Record<string, string | number>) => string): string | null {
  const line = isFinal(o.status) ? null : courierLine(o, nowMs);
  if (!line) return null;
  const m = courierMessage(line, platformName(o.marketplace!.id));
  return t(m.key, m.params);
}
