// Who acts on an order: a member of staff (with their shop, none for head office), the customer
// (by the tracking link) or the system (the workers); and whose shop a member of staff may act on.
import type { Actor, Role } from '../../domain/order-states.ts';
export { canActOnShop } from '../../domain/move-rules.ts';

export interface StaffActor {
  kind: 'staff';
  id: number;
  role: Role;
  pizzeriaId: number | null;
  name: string;
}
export type OrderActor = StaffActor | { kind: 'customer' } | { kind: 'system'; name: string };

export const actorRole = (a: OrderActor): Actor => (a.kind === 'staff' ? a.role : a.kind);
/** How an actor is written in the event log. */
export const actorLabel = (a: OrderActor): string =>
  a.kind === 'staff' ? `${a.role}:${a.id}` : a.kind === 'system' ? `system:${a.name}` : 'customer';
