import { error } from '@sveltejs/kit';
import { getMenu, getPizzeria } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { deliveryPin, getOrder, getOrderIdByToken, itemsAhead } from '$lib/server/orders/index.ts';
import { snapshot } from '$lib/server/operations/snapshot.ts';
import { learnedRoadOf, roadAt } from '$lib/server/road/road-model.ts';
import { ratingOfOrder } from '$lib/server/customers/ratings.ts';
import { discountOf } from '$lib/server/offers/promos.ts';
import { spreadOf } from '$lib/domain/road-speed.ts';
import { canRate } from '$lib/domain/ratings.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params, locals }) => {
  const id = await getOrderIdByToken(db(), params.token);
  if (!id) error(404, 'Order not found');
  const { data: order, lastEventId } = await snapshot((q) => getOrder(q, id));
  if (!order) error(404, 'Order not found');
  const c = config();
  // the road the shop's drivers make at this hour, and the window its past promises kept
  const [shop, menu, pin, ahead, road, learned, discount] = await Promise.all([
    getPizzeria(db(), order.pizzeriaId),
    getMenu(db(), order.pizzeriaId, locals.locale),
    deliveryPin(db(), id),
    itemsAhead(db(), order),
    roadAt(db(), order.pizzeriaId, { mode: c.DELIVERY_MODE, eta: c.eta }),
    learnedRoadOf(db(), order.pizzeriaId, c.eta.roadFactor),
    // an order with a discount cannot be changed: read once, it stays true while the page is open
    discountOf(db(), id),
  ]);
  // the driver's position comes live over the socket, and only while they carry this order
  return {
    order, lastEventId, token: params.token, shop: shop!, menu, deliveryPin: pin, itemsAhead: ahead, eta: road.eta, travelMode: c.DELIVERY_MODE,
    spreadMinutes: spreadOf(learned),
    // its promo code or points, for the card's lines to add up to its total as the receipt's do
    discount: discount && { kind: discount.kind, code: discount.code, points: discount.points, discountCents: discount.discountCents },
    // what the customer gave, once the order is in their hands (the form until then)
    rating: canRate(order.status) ? await ratingOfOrder(db(), id) : null,
  };
};
