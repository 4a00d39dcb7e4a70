// The order service, one room per part of an order's life (src/lib/server/orders/): who acts on it,
// reading it, recording its events, placing it (its lines and stock, the limits on one client),
// moving it (the rules in src/lib/domain/move-rules.ts), the customer's change and cancel, the
// road (late flags, offers, shifts). This is what the rest of the code imports; what an order owes
// and is owed back lives with the money (src/lib/server/money/).
export { canActOnShop, type OrderActor, type StaffActor } from './orders/actors.ts';
export { deliveryPin, getOrder, getOrderIdByToken, itemsAhead, listOrders, lockOrder } from './orders/read.ts';
export { recordEvent, recordRelease, type Publishing } from './orders/record.ts';
export { foldConsumedStock, foldStartedOrders } from './orders/lines.ts';
export type { OrderLimits } from './orders/limits.ts';
// placing an order, with every feature's step, is composed in src/lib/server/placing.ts
export type { PlaceOrderInput, PlacedOrder } from './orders/place.ts';
export { advanceOrder, moveLocked, type MoveBasis, type MoveOptions } from './orders/move.ts';
export { cancelByToken, modifyByToken } from './orders/by-customer.ts';
export { fireOrder, ordersToFire } from './orders/fire.ts';
export { openSlots } from './orders/slots.ts';
export { flagExpectedLate, flagLate, flagLateStartedBy, handOffersOn, isOnShift, ordersInPreparation, ordersWaitingForDriver, setShift } from './orders/road.ts';
