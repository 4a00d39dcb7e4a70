// The delivery platforms in the back office (src/lib/server/marketplaces/{stores,mapping,reconcile}.ts):
// a shop's store on each platform (managers of the shop, head office for every shop), a product's
// price on a platform (head office), the waiting platform orders of a shop, the mapping of what a
// platform named to our menu, and the week's reconciliation with the platform's payout report.
import { z } from 'zod';
import { denySchema, mappingSchema, platformId, priceSchema, reconcileQuery, storeSchema, weekSchema } from '../../src/lib/shapes/marketplace-office-requests.ts';
import { backOfficePlatforms, connectStore, listConnections, listPlatformPrices, platformsOf, setPlatformPrice, shopsRun, waitingOrders, checkShop, knownPlatform, storeOf } from '../../src/lib/server/marketplaces/stores.ts';
import { mapItem, menuChoices, unmappedItems } from '../../src/lib/server/marketplaces/mapping.ts';
import { fetchReport, reconcileStores } from '../../src/lib/server/marketplaces/reconcile.ts';
import { acceptWaiting, denyWaiting, queueMenuPush, retryMapped } from '../../src/lib/server/flows/platform-office.ts';
import { notFound } from '../../src/lib/server/kernel/errors.ts';
import { Routes, accepted, noContent, numericId, parse, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

const platformParam = (p: unknown) => parse(platformId, p);

export function marketplaceAdminRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);
  const headOffice = api.staff(can.runChain);
  const platforms = () => backOfficePlatforms(ctx.config);

  managers.get('/marketplaces', {}, async ({ actor }) => ({ platforms: platformsOf(platforms()), shops: await listConnections(db, actor, platforms()) }));
  managers.put('/marketplaces/:platform/shops/:id', { body: storeSchema }, async ({ req, actor, body }) => ({
    store: await connectStore(db, actor, platforms(), numericId(req), platformParam(req.params.platform), body),
  }));

  managers.get('/marketplaces/prices', {}, () => listPlatformPrices(db, platforms()));
  headOffice.put('/marketplaces/:platform/prices', { body: priceSchema }, ({ req, actor, body }) =>
    setPlatformPrice(db, actor, platforms(), platformParam(req.params.platform), body.productId, body.priceCents),
  );

  managers.get('/marketplaces/shops/:id/waiting', {}, async ({ req, actor }) => {
    const id = numericId(req);
    checkShop(actor, id);
    return { orders: await waitingOrders(db, [id]) };
  });
  managers.get('/marketplaces/waiting', {}, async ({ actor }) => ({ orders: await waitingOrders(db, (await shopsRun(db, actor)).map((s) => s.id)) }));

  managers.get('/marketplaces/mapping', {}, async ({ actor }) => ({ items: await unmappedItems(db, actor), menu: await menuChoices(db) }));
  managers.put('/marketplaces/:platform/mapping', { body: mappingSchema }, async ({ req, actor, body }) => {
    const platform = platformParam(req.params.platform);
    const mapped = await mapItem(db, actor, platforms(), platform, body);
    // the platform's orders waiting for a mapping (the shop's, or every shop's), tried again now that it is made
    return { mapped, retried: await retryMapped(db, platform, mapped.pizzeriaId) };
  });

  managers.get('/marketplaces/reconcile', { query: reconcileQuery }, async ({ actor, query }) => ({
    platform: query.platform, week: query.week, stores: await reconcileStores(db, actor, platforms(), query.platform, query.week),
  }));
  managers.post('/marketplaces/:platform/shops/:id/reports', { body: z.strictObject({ week: weekSchema }) }, async ({ req, actor, body }) => ({
    report: await fetchReport(db, actor, platforms(), platformParam(req.params.platform), numericId(req), body.week),
  }));

  // the manager's decision about a waiting platform order (the intake's decisions: the platform is told)
  managers.post('/marketplaces/waiting/:id/accept', {}, async ({ req, actor }) => {
    await acceptWaiting(db, numericId(req), actor);
    return noContent();
  });
  managers.post('/marketplaces/waiting/:id/deny', { body: denySchema }, async ({ req, actor, body }) => {
    await denyWaiting(db, numericId(req), body.reason, body.explanation, actor);
    return noContent();
  });
  // the shop's menu pushed to its store on the platform, by the workers
  managers.post('/marketplaces/:platform/shops/:id/menu', {}, async ({ req, actor }) => {
    const id = numericId(req);
    const platform = platformParam(req.params.platform);
    checkShop(actor, id);
    knownPlatform(platforms(), platform);
    if (!(await storeOf(db, platform, id))) throw notFound('store on this platform');
    await queueMenuPush(id, platform);
    return accepted({ queued: true });
  });

  return api.router;
}
