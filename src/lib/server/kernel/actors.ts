// How an actor is written in the event log; who acts on an order and whose shop they may act on
// are the domain's (src/lib/domain/actors.ts).
import type { OrderActor } from '../../domain/actors.ts';
export { actorRole, canActOnShop, type OrderActor, type StaffActor } from '../../domain/actors.ts';

/** How an actor is written in the event log. */
export const actorLabel = (a: OrderActor): string =>
  a.kind === 'staff' ? `${a.role}:${a.id}` : a.kind === 'system' ? `system:${a.name}` : 'customer';
