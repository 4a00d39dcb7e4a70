// Who acts on an order: a member of staff (with their shop, none for head office), the customer
// (by the tracking link) or the system (the workers); and whose shop a member of staff may act on.
import type { Actor, Role } from './order-states.ts';
import { runsChain } from './permissions.ts';

export interface StaffActor {
  kind: 'staff';
  id: number;
  role: Role;
  pizzeriaId: number | null;
  name: string;
}
export type OrderActor = StaffActor | { kind: 'customer' } | { kind: 'system'; name: string };

export const actorRole = (a: Pick<StaffActor, 'kind' | 'role'> | { kind: 'customer' | 'system' }): Actor => (a.kind === 'staff' ? a.role : a.kind);

/** Head office acts on every shop; anyone else on their own. */
export function canActOnShop(actor: { role: Role; pizzeriaId: number | null }, pizzeriaId: number): boolean {
  return runsChain(actor) || actor.pizzeriaId === pizzeriaId;
}
