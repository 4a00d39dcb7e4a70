// Promo codes: head office makes, lists and stops them (src/lib/server/offers/promos.ts); the storefront
// checks a code against a basket before placing (placing checks it again, under the code's lock);
// a signed-in customer reads their loyalty points; head office states the loyalty scheme.
import { loyaltySchemeSchema, newPromoSchema, promoActiveSchema, promoCheckSchema } from '../../src/lib/shapes/promo-requests.ts';
import { idParam } from '../../src/lib/shapes/order-requests.ts';
import { checkPromo, createPromo, listPromos, setPromoActive } from '../../src/lib/server/offers/promos.ts';
import { invalid } from '../../src/lib/server/kernel/errors.ts';
import { loyaltyOf, loyaltyScheme, setLoyaltyScheme } from '../../src/lib/server/offers/loyalty.ts';
import { Routes, created, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function promoRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const headOffice = api.staff(can.runChain);

  headOffice.get('/promos', {}, async ({ actor }) => ({ promos: await listPromos(db, actor) }));
  headOffice.post('/promos', { body: newPromoSchema }, async ({ actor, body }) => created({ promo: await createPromo(db, actor, body) }));
  headOffice.post('/promos/:id/active', { body: promoActiveSchema }, async ({ req, actor, body }) => {
    const id = idParam.safeParse(req.params.id);
    if (!id.success) throw invalid({ id: 'not a valid id' });
    return { promo: await setPromoActive(db, actor, id.data, body.active) };
  });

  // counted with the customer's other writes: a client cannot try codes by the thousand
  api.anyone.post('/promo/check', { use: [ctx.customerLimiter], body: promoCheckSchema }, async ({ req, body }) => checkPromo(db, body, req.customer?.id ?? null));

  // a signed-in customer's loyalty points: the balance and its history (src/lib/server/offers/loyalty.ts)
  api.customer.get('/customer/loyalty', {}, ({ customer }) => loyaltyOf(db, customer.id));

  // the scheme: anyone reads it (the storefront states it), head office sets it (audited)
  api.anyone.get('/loyalty/scheme', {}, async () => ({ scheme: await loyaltyScheme(db) }));
  headOffice.put('/loyalty/scheme', { body: loyaltySchemeSchema }, async ({ actor, body }) => ({ scheme: await setLoyaltyScheme(db, actor, body) }));

  return api.router;
}
