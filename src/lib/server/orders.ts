// The order service, one room per part of an order's life (src/lib/server/orders/): who acts on it,
// reading it, recording its events, placing it (its lines and stock, the limits on one client),
// moving it (the rules in src/lib/domain/move-rules.ts), the customer's change and cancel, the
// road (late flags, offers, shifts) and the money owed back. This is what the rest of the code imports.
export { canActOnShop, type OrderActor, type StaffActor } from './orders/actors.ts';
export { deliveryPin, getOrder, getOrderIdByToken, itemsAhead, listOrders, lockOrder } from './orders/read.ts';
export { recordEvent, recordRelease, type Publishing } from './orders/record.ts';
export { foldConsumedStock, foldStartedOrders } from './orders/lines.ts';
export type { OrderLimits } from './orders/limits.ts';
export { placeOrder, type PlaceOrderInput, type PlacedOrder } from './orders/place.ts';
export { advanceOrder, moveLocked, type MoveBasis, type MoveOptions } from './orders/move.ts';
export { cancelByToken, modifyByToken } from './orders/by-customer.ts';
export { fireOrder, ordersToFire } from './orders/fire.ts';
export { openSlots } from './orders/slots.ts';
export { flagLate, flagLateStartedBy, handOffersOn, isOnShift, ordersWaitingForDriver, setShift } from './orders/road.ts';
export { expireRefusedHold, expireUnpaidOrder, onlineRefundsDue, ordersInPreparation, pendingOnlinePayments, recordRefund, refundToMake } from './orders/money.ts';
