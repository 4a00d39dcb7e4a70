// Who may do what, named once. A route, a page guard, the navigation, a service and the state
// machine say "whoever may cook" instead of listing roles, so a new role, or a role that gains a
// duty, is one line here; the linter refuses a list of roles typed anywhere else.
import type { Role } from './order-states.ts';

/** A capability: the roles that hold it (any of them may). */
export type Capability = readonly Role[];

const held = (...roles: Role[]): Capability => Object.freeze(roles);

export const can = {
  /** The kitchen's work: its screen, crossing lines off, recalling a bump, printing, the stations and stock it reads. */
  cook: held('kitchen', 'manager', 'admin'),
  /** The counter's work: its screen, orders taken at the counter or by phone, hurrying an order. */
  takeOrders: held('manager', 'counter', 'admin'),
  /** A driver's own work: offers, shifts, positions, the photo at the door. */
  drive: held('driver'),
  /** Taking a delivery out and bringing it home, or back: the driver, or the shop for them. */
  deliver: held('driver', 'manager', 'admin'),
  /** Handing a pickup over: the kitchen or the counter, or the shop's managers. */
  handOver: held('kitchen', 'counter', 'manager', 'admin'),
  /** Running a shop: its staff, stock, cash, takings, refunds, ratings, dispatch and settings. */
  runShop: held('manager', 'admin'),
  /** Paying the drivers: the shop's pay rule (per hour, delivery, kilometre) and the payroll export. */
  payDrivers: held('manager', 'admin'),
  /** Clocking in and out with the button (src/lib/server/staff/clock-ins.ts): the kitchen and the counter; a driver clocks in by going on shift. */
  clockIn: held('kitchen', 'counter'),
  /** Running the chain (head office): the menu, promotions, shops, the audit, lending drivers. */
  runChain: held('admin'),
} as const satisfies Record<string, Capability>;

/** A shop's crew, the roles a shop's manager may appoint (head office appoints any role). */
export const SHOP_CREW: Capability = held('kitchen', 'counter', 'driver');

/** Whether someone of `role` holds the capability: `may(user.role, can.cook)`. */
export function may(role: Role | null | undefined, capability: Capability): boolean {
  return !!role && capability.includes(role);
}

/** Someone acting with a role: a member of staff (their shop, none for head office), a screen, a session. */
export interface Member {
  role: Role;
  pizzeriaId: number | null;
}

/** Whether the member runs the whole chain (head office): every shop is theirs. */
export function runsChain(member: Pick<Member, 'role'> | null | undefined): boolean {
  return may(member?.role, can.runChain);
}

/**
 * Whether the member holds the capability for a shop: head office for every shop, anyone else for
 * their own (`shopId` left out: for some shop of theirs).
 */
export function mayFor(member: Member | null | undefined, capability: Capability, shopId?: number): boolean {
  if (!member || !may(member.role, capability)) return false;
  return shopId === undefined || runsChain(member) || member.pizzeriaId === shopId;
}

/** The shops among `all` a member sees: every one for head office, their own otherwise. */
export function shopsOf<T extends { id: number }>(member: Member, all: readonly T[]): T[] {
  return runsChain(member) ? [...all] : all.filter((s) => s.id === member.pizzeriaId);
}

