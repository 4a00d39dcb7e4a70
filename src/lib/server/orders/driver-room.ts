// The drivers' side of a shop's slots (src/lib/domain/driver-capacity.ts): how many deliveries its
// drivers can take out in a quarter of an hour, and how many are already due in each slot. Tonight
// they are the drivers on shift, or the rota's where it plans more (src/lib/domain/rota.ts,
// driversForSlot); later (tomorrow, next Friday) the rota's drivers for that slot. An order for later
// that is a delivery takes a slot only where both the oven and the drivers have room.
import { deliveriesPerSlot, DRIVER_HORIZON_MINUTES, withinDriverHorizon } from '../../domain/driver-capacity.ts';
import type { EtaSettings, TravelMode } from '../../domain/eta.ts';
import { driversForSlot, plannedDriversAt, type PlannedShift } from '../../domain/rota.ts';
import { SLOT_MS, slotOf } from '../../domain/slots.ts';
import type { Queryable } from '../kernel/db.ts';

export interface DriverRoom {
  /** Deliveries the drivers on shift now take out a slot (null: none on shift). */
  perSlot: number | null;
  /** Drivers on shift now (its own and those lent to it). */
  onShift: number;
  /** The rota's driver shifts over the slots read. */
  rota: PlannedShift[];
  road: { mode: TravelMode; eta?: EtaSettings };
  /** Deliveries already due in each slot read (slot start in ms → count). */
  booked: Map<number, number>;
  now: number;
}

/** The rota's driver shifts of a shop touching [from, to) (ms; the rota itself: src/lib/server/staff/rota.ts). */
async function plannedDriverShifts(q: Queryable, pizzeriaId: number, from: number, to: number): Promise<PlannedShift[]> {
  const { rows } = await q.query<{ user_id: number; starts_at: Date; ends_at: Date }>({
    name: 'rota-drivers',
    text: `SELECT user_id, starts_at, ends_at FROM shifts
            WHERE pizzeria_id = $1 AND role = 'driver' AND ends_at > to_timestamp($2 / 1000.0) AND starts_at < to_timestamp($3 / 1000.0)`,
    values: [pizzeriaId, from, to],
  });
  return rows.map((r) => ({ userId: r.user_id, role: 'driver', startsAt: r.starts_at.getTime(), endsAt: r.ends_at.getTime() }));
}

/**
 * The shop's drivers on shift, its rota's drivers and the deliveries due in each slot from now to
 * `until` (tonight's next hours by default).
 */
export async function readDriverRoom(
  q: Queryable,
  pizzeriaId: number,
  road: { mode: TravelMode; eta?: EtaSettings },
  now = Date.now(),
  until = now + DRIVER_HORIZON_MINUTES * 60_000 + SLOT_MS,
): Promise<DriverRoom> {
  const from = slotOf(now);
  const [{ rows }, rota] = await Promise.all([
    q.query<{ drivers: number; booked: Record<string, number> }>({
      name: 'driver-room',
      text: `SELECT (SELECT count(*)::int FROM users u WHERE u.role = 'driver' AND u.on_shift AND coalesce(u.lent_to, u.pizzeria_id) = $1) AS drivers,
                    (SELECT coalesce(json_object_agg(d.at, d.n), '{}') FROM (
                       SELECT (extract(epoch FROM slot_at) * 1000)::bigint AS at, count(*)::int AS n FROM orders
                        WHERE pizzeria_id = $1 AND fulfilment = 'delivery' AND status <> 'cancelled'
                          AND slot_at >= to_timestamp($2 / 1000.0) AND slot_at < to_timestamp($3 / 1000.0)
                        GROUP BY slot_at) d) AS booked`,
      values: [pizzeriaId, from, until],
    }),
    plannedDriverShifts(q, pizzeriaId, from, until),
  ]);
  return {
    perSlot: deliveriesPerSlot(rows[0].drivers, road),
    onShift: rows[0].drivers,
    rota,
    road,
    booked: new Map(Object.entries(rows[0].booked).map(([at, n]) => [Number(at), Number(n)])),
    now,
  };
}

/** Deliveries the drivers counted for a slot take out in it (null: nobody counted, the oven alone paces). */
export function slotCapacity(room: DriverRoom, start: number): number | null {
  const drivers = driversForSlot({ withinHorizon: withinDriverHorizon(start, room.now), onShift: room.onShift, planned: plannedDriversAt(room.rota, start) });
  return deliveriesPerSlot(drivers, room.road);
}

/** Whether one more delivery fits in the slot starting at `start`. */
export function hasDriverRoom(room: DriverRoom, start: number): boolean {
  const capacity = slotCapacity(room, start);
  return capacity === null || (room.booked.get(start) ?? 0) < capacity;
}

/** Deliveries still free in a slot (null where the drivers are not counted: nobody on shift or on the rota for it). */
export function freeDeliveries(room: DriverRoom, start: number): number | null {
  const capacity = slotCapacity(room, start);
  return capacity === null ? null : Math.max(0, capacity - (room.booked.get(start) ?? 0));
}
