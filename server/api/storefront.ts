// What the storefront reads before an order: the shops, a shop's menu, the menu's sections, and
// which shops deliver to an address.
import { pickupPromiseSchema, slotsSchema, whereSchema } from '../../src/lib/shapes/order-requests.ts';
import { KIND_MINUTES } from '../../src/lib/domain/slots.ts';
import { openSlots } from '../../src/lib/server/orders/index.ts';
import { getMenu, getPizzeria, listCategories, listPizzerias } from '../../src/lib/server/shops/catalogue.ts';
import { notFound } from '../../src/lib/server/kernel/errors.ts';
import { geocodeForStorefront } from '../../src/lib/server/road/places.ts';
import { pickupPromise, shopsForSpot } from '../../src/lib/server/flows/shops-for-spot.ts';
import { Routes, numericId, visitorLocale, type ApiContext } from './kit.ts';

export function storefrontRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);

  api.anyone.get('/pizzerias', {}, () => listPizzerias(db));
  api.anyone.get('/pizzerias/:id/menu', {}, async ({ req }) => {
    const id = numericId(req);
    if (!(await getPizzeria(db, id))) throw notFound('pizzeria');
    return getMenu(db, id, visitorLocale(req));
  });
  // the slots an order for later may take (open, far enough ahead, with room in the oven for so many
  // pizzas and, for a delivery tonight, for the drivers on shift)
  api.anyone.get('/pizzerias/:id/slots', { query: slotsSchema }, async ({ req, query: q }) => {
    const shop = await getPizzeria(db, numericId(req));
    if (!shop) throw notFound('pizzeria');
    const perPizza = KIND_MINUTES.pizza.make + KIND_MINUTES.pizza.bake;
    return openSlots(db, shop, { fulfilment: q.fulfilment, pizzas: q.pizzas, minutes: q.pizzas * perPizza }, config.eta, Date.now(), config.DELIVERY_MODE);
  });
  // what the shop would promise an order collected there now (a delivery's promise comes with /delivery/where)
  api.anyone.get('/pizzerias/:id/promise', { query: pickupPromiseSchema }, async ({ req, query: q }) => {
    const shop = await getPizzeria(db, numericId(req));
    if (!shop) throw notFound('pizzeria');
    return pickupPromise(db, shop, { pizzas: q.pizzas, eta: config.eta });
  });
  // the menu's sections, in the storefront's order (its tabs)
  api.anyone.get('/categories', {}, ({ req }) => listCategories(db, visitorLocale(req)));

  // where an address is, and which shops deliver there (open ones first): the storefront asks before checkout
  const whereLimiter = ctx.limiter('where', 10 * 60_000, Math.max(60, config.RATE_LIMIT_ORDERS * 2), { skip: (req) => !!req.user });
  api.anyone.get('/delivery/where', { use: [whereLimiter], query: whereSchema }, async ({ query: q }) => {
    const found = 'lat' in q ? { at: { lat: q.lat, lng: q.lng }, label: null, unavailable: false } : await geocodeForStorefront(ctx.geocoder, q);
    const shops = found.at ? await shopsForSpot(db, found.at, { pizzas: q.pizzas, eta: config.eta, mode: config.DELIVERY_MODE, positions: ctx.positions }) : [];
    return { ...found, shops };
  });

  return api.router;
}
