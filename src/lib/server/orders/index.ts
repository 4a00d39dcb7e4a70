// The order service, one room per part of an order's life (src/lib/server/orders/): who acts on it,
// reading it, recording its events, placing it (its lines and stock, the limits on one client),
// moving it (the rules in src/lib/domain/move-rules.ts), the customer's change and cancel, the
// road (late flags, offers, shifts). This is what the rest of the code imports; what an order owes
// and is owed back lives with the money (src/lib/server/money/).
export { canActOnShop, type OrderActor, type StaffActor } from '../kernel/actors.ts';
export { deliveryPin, getOrder, getOrderIdByToken, itemsAhead, listOrders, listOrdersJson, lockOrder } from './read.ts';
export { recordEvent, recordRelease, type Publishing } from './record.ts';
export { foldConsumedStock, foldStartedOrders } from './lines.ts';
export type { OrderLimits } from './limits.ts';
// placing an order, with every feature's step, is composed in src/lib/server/flows/placing.ts
export type { PlaceOrderInput, PlacedOrder } from './place.ts';
export { advanceOrder, moveLocked, type MoveBasis, type MoveOptions } from './move.ts';
export { cancelByToken, modifyByToken } from './by-customer.ts';
export { fireOrder, ordersToFire } from './fire.ts';
export { openSlots } from './slots.ts';
export { flagExpectedLate, flagLate, flagLateStartedBy, handOffersOn, isOnShift, ordersInPreparation, ordersWaitingForDriver, setShift } from './road.ts';
