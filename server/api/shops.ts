// Shops: head office keeps their settings and opens new ones; a shop's manager pauses its online
// orders and takes a pizza off for tonight.
import { busySchema, legalMentionsSchema, pauseSchema, shopCreateSchema, shopSettingsSchema, tonightSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { createShopSettings, setBusyMinutes, setOnlinePaused, updateShop } from '../../src/lib/server/shops/shops.ts';
import { setOffTonight } from '../../src/lib/server/stock/stock.ts';
import { receiptKey, setLegalMentions } from '../../src/lib/server/money/receipt-issues.ts';
import { Routes, created, numericId, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function shopRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const headOffice = api.staff(can.runChain);
  const managers = api.staff(can.runShop);

  headOffice.put('/shops/:id', { body: shopSettingsSchema }, ({ req, actor, body }) => updateShop(db, actor, numericId(req), body));
  // what every receipt of the shop prints: legal name, SIRET, VAT number (checked: the SIRET's key, the SIREN's VAT number)
  headOffice.put('/shops/:id/legal', { body: legalMentionsSchema }, ({ req, actor, body }) => setLegalMentions(db, receiptKey(ctx.config), actor, numericId(req), body));
  headOffice.post('/shops', { body: shopCreateSchema }, async ({ actor, body }) => created(await createShopSettings(db, actor, body)));
  managers.post('/shops/:id/online', { body: pauseSchema }, ({ req, actor, body }) => setOnlinePaused(db, actor, numericId(req), body.paused));
  managers.post('/shops/:id/busy', { body: busySchema }, ({ req, actor, body }) => setBusyMinutes(db, actor, numericId(req), body.minutes));
  managers.post('/shops/:id/tonight', { body: tonightSchema }, ({ req, actor, body }) => setOffTonight(db, actor, numericId(req), body.productId, !body.available));

  return api.router;
}
