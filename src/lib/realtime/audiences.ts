// Who gets what of an order: the one place that says it. Every road an order takes to a screen
// (the relay's rooms, a screen catching up or replaying what it missed, a page's snapshot, the
// API's answers) goes through `orderFor`, so a screen never receives more than it needs:
//
// | audience         | who                                        | what of the customer                                   |
// | ---------------- | ------------------------------------------ | ------------------------------------------------------ |
// | shop, hq         | managers, counter, head office             | everything (they call the customer, decide after a failed delivery) |
// | customer         | the tracking link                          | everything: it is their own order                      |
// | driver_assigned  | the driver carrying it                     | everything: name, phone, address, door code, the spot  |
// | driver_offered   | a driver it is offered to (or taken from)  | first name, the street without its number, the city, the distance from the shop (and a failed attempt's note, written by a driver) |
// | kitchen          | the kitchen screen                         | first name and the fulfilment: no phone, no address, no note from the door |
//
// The allergy note (allergens and the customer's few words) goes to every audience, the kitchen's and
// the driver's included: it is food safety, not a way to reach the customer.
import { roomFor } from './contract.ts';
import type { OrderView } from '../shapes/views.ts';

export const AUDIENCES = ['shop', 'hq', 'customer', 'driver_assigned', 'driver_offered', 'kitchen'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** "Camille Martin" → "Camille": enough to call a ticket, not to find someone. */
export function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? '';
}

/** "12 bis, rue de la Roquette" → "rue de la Roquette": the way to go, not the door. */
export function streetWithoutNumber(street: string): string {
  return street.replace(/^\s*\d+(?:\s*[-/]\s*\d+)?\s*(?:(?:bis|ter|quater)\b|[a-z](?![a-zà-ÿ]))?\s*,?\s*/i, '').trim();
}

/** What one audience gets of an order. */
export function orderFor(audience: Audience, o: OrderView): OrderView {
  switch (audience) {
    case 'shop':
    case 'hq':
    case 'customer':
    case 'driver_assigned':
      return o;
    case 'driver_offered':
      return {
        ...o,
        customer: { name: firstName(o.customer.name) },
        address: o.address && { street: streetWithoutNumber(o.address.street), city: o.address.city, distanceM: o.address.distanceM ?? null },
      };
    case 'kitchen':
      return {
        ...o,
        customer: { name: firstName(o.customer.name) },
        address: null,
        delivery: { ...o.delivery, failure: o.delivery.failure && { ...o.delivery.failure, note: null } },
      };
  }
}

/** A signed-in staff member asking through the API: what their role sees of an order. */
export function audienceOfStaff(user: { id: number; role: string }, o: OrderView): Audience {
  switch (user.role) {
    case 'kitchen':
      return 'kitchen';
    case 'driver':
      return o.driver?.id === user.id ? 'driver_assigned' : 'driver_offered';
    case 'admin':
      return 'hq';
    default:
      return 'shop';
  }
}

export const orderForStaff = (user: { id: number; role: string }, o: OrderView): OrderView => orderFor(audienceOfStaff(user, o), o);

/**
 * The rooms an order's change goes to, by audience, the most told first. A screen in several of
 * these rooms gets the change once, as the first of them that it is in sees it: the relay sends
 * each group to its rooms except the rooms of the groups before it.
 */
export function roomsByAudience(o: OrderView): { audience: Audience; rooms: string[] }[] {
  const groups: { audience: Audience; rooms: string[] }[] = [
    { audience: 'shop', rooms: [roomFor.shop(o.pizzeriaId)] },
    { audience: 'hq', rooms: [roomFor.hq()] },
    { audience: 'customer', rooms: [roomFor.order(o.id)] },
  ];
  if (o.driver) groups.push({ audience: 'driver_assigned', rooms: [roomFor.driver(o.driver.id)] });
  // offered, or taken from them (their phone drops it): no more than deciding needs
  const others = [o.offer?.driverId, o.releasedDriverId].filter((d): d is number => d !== undefined && d !== o.driver?.id);
  if (others.length) groups.push({ audience: 'driver_offered', rooms: [...new Set(others)].map((d) => roomFor.driver(d)) });
  groups.push({ audience: 'kitchen', rooms: [roomFor.kitchen(o.pizzeriaId)] });
  return groups;
}

/** What a screen in `rooms` gets of an order's change (null: none of its rooms is told). */
export function orderForRooms(o: OrderView, inRoom: (room: string) => boolean): OrderView | null {
  for (const g of roomsByAudience(o)) if (g.rooms.some(inRoom)) return orderFor(g.audience, o);
  return null;
}
