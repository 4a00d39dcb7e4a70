// The drivers' side of a shop's slots tonight (src/lib/domain/driver-capacity.ts): how many
// deliveries its drivers on shift can take out in a quarter of an hour, and how many are already
// due in each slot of the next hours. An order for later that is a delivery takes a slot only
// where both the oven and the drivers have room.
import { deliveriesPerSlot, DRIVER_HORIZON_MINUTES, driversHaveRoom } from '../../domain/driver-capacity.ts';
import type { EtaSettings, TravelMode } from '../../domain/eta.ts';
import { SLOT_MS, slotOf } from '../../domain/slots.ts';
import type { Queryable } from '../db.ts';

export interface DriverRoom {
  /** Deliveries the drivers on shift take out a slot (null: none on shift, not counted). */
  perSlot: number | null;
  /** Deliveries already due in each slot of the horizon (slot start in ms → count). */
  booked: Map<number, number>;
  now: number;
}

/** The shop's drivers on shift (its own and those lent to it) and the deliveries due in each slot of tonight's next hours. */
export async function readDriverRoom(q: Queryable, pizzeriaId: number, road: { mode: TravelMode; eta?: EtaSettings }, now = Date.now()): Promise<DriverRoom> {
  const from = slotOf(now);
  const to = now + DRIVER_HORIZON_MINUTES * 60_000 + SLOT_MS;
  const { rows } = await q.query<{ drivers: number; booked: Record<string, number> }>({
    name: 'driver-room',
    text: `SELECT (SELECT count(*)::int FROM users u WHERE u.role = 'driver' AND u.on_shift AND coalesce(u.lent_to, u.pizzeria_id) = $1) AS drivers,
                  (SELECT coalesce(json_object_agg(d.at, d.n), '{}') FROM (
                     SELECT (extract(epoch FROM slot_at) * 1000)::bigint AS at, count(*)::int AS n FROM orders
                      WHERE pizzeria_id = $1 AND fulfilment = 'delivery' AND status <> 'cancelled'
                        AND slot_at >= to_timestamp($2 / 1000.0) AND slot_at < to_timestamp($3 / 1000.0)
                      GROUP BY slot_at) d) AS booked`,
    values: [pizzeriaId, from, to],
  });
  return {
    perSlot: deliveriesPerSlot(rows[0].drivers, road),
    booked: new Map(Object.entries(rows[0].booked).map(([at, n]) => [Number(at), Number(n)])),
    now,
  };
}

/** Whether one more delivery fits in the slot starting at `start`. */
export const hasDriverRoom = (room: DriverRoom, start: number) =>
  driversHaveRoom({ start, now: room.now, booked: room.booked.get(start) ?? 0, capacity: room.perSlot });

/** Deliveries still free in a slot (null where the drivers are not counted: none on shift, or past tonight's horizon). */
export function freeDeliveries(room: DriverRoom, start: number): number | null {
  if (room.perSlot === null || start >= room.now + DRIVER_HORIZON_MINUTES * 60_000) return null;
  return Math.max(0, room.perSlot - (room.booked.get(start) ?? 0));
}
