// Placing an order, composed: the steps each feature gives placing (src/lib/server/orders/steps.ts),
// in the order they run. A new feature that takes part in placing adds its step here.
import { promiseFromPlan } from '../kitchen/promise.ts';
import { loyaltyStep } from '../offers/loyalty.ts';
import { placeOrderWith, type PlaceOptions, type PlaceOrderInput, type PlacedOrder } from '../orders/place.ts';
import type { OrderActor } from '../kernel/actors.ts';
import { clientLimits, customerHistory, idempotencyKept, slotClaim, unpaidShare, type Placing } from '../orders/steps.ts';
import { promoCodeStep } from '../offers/promos.ts';
import { allergyStep } from '../customers/allergy.ts';
import { rememberAtCheckout } from '../customers/customer-allergies.ts';
import { checkoutTipStep } from '../money/tips.ts';
import type { Db } from '../kernel/db.ts';

export type { PlaceOptions, PlaceOrderInput, PlacedOrder } from '../orders/place.ts';

export const PLACING: Placing = {
  steps: [
    allergyStep, // the allergy note: a line with a declared allergen refused unless confirmed, the note kept
    clientLimits, // orders of the hour per contact, what a client holds unpaid (judged first: the client locked)
    slotClaim, // an order for later: its slot's oven minutes and drivers
    promoCodeStep, // a promo code: its row locked, its discount
    loyaltyStep, // loyalty points: the customer's row locked, never beside a promo code
    unpaidShare, // once the order is written: the unpaid orders' share of the shop's stock
    idempotencyKept, // the order kept for the request's repeats
    customerHistory, // a signed-in customer's history and saved addresses
    rememberAtCheckout, // a signed-in customer's allergies kept for next time, when they consented at checkout
    checkoutTipStep, // a tip for the driver, riding on the order's card payment
  ],
  // a delivery is promised behind the orders the shop's drivers already have (the kitchen's plan)
  promiseDelivery: promiseFromPlan,
};

/** Places an order (src/lib/server/orders/place.ts) with every feature's step. */
export function placeOrder(db: Db, input: PlaceOrderInput, actor: OrderActor, opts: PlaceOptions = {}): Promise<PlacedOrder> {
  return placeOrderWith(PLACING, db, input, actor, opts);
}
