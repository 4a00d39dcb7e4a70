import { orderFor } from '$lib/realtime/audiences.ts';
import { listPizzerias, listRecipes } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { listOrders } from '$lib/server/orders/index.ts';
import { listStations } from '$lib/server/kitchen/stations.ts';
import { printerOf, printerStatusOf } from '$lib/server/printing/index.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import { snapshot } from '$lib/server/operations/snapshot.ts';
import { lowStock } from '$lib/server/stock/stock.ts';
import type { PageServerLoad } from './$types';
import { KITCHEN_STATUSES } from '$lib/domain/order-states.ts';
import { can, runsChain } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.cook);
  const pizzerias = await listPizzerias(db());
  const shopId = shopFor(user, url, pizzerias);
  const { data: orders, lastEventId } = await snapshot((q) =>
    listOrders(q, { pizzeriaIds: [shopId], statuses: [...KITCHEN_STATUSES] }),
  );
  return {
    shop: pizzerias.find((p) => p.id === shopId)!,
    pizzerias: runsChain(user) ? pizzerias : [],
    // the kitchen screen's cut, whoever is signed in on the tablet: no phone, no address
    orders: orders.map((o) => orderFor('kitchen', o)),
    lastEventId,
    recipes: await listRecipes(db(), locals.locale),
    // the shop's stations: each tablet chooses the one it shows (none: one screen for everything)
    stations: await listStations(db(), shopId),
    // its printer (labels, paper tickets), and whether it failed last time
    hasPrinter: (await printerOf(db(), shopId)) !== null,
    printer: await printerStatusOf(db(), shopId),
    remindSeconds: config().KITCHEN_REMIND_SECONDS,
    // how long a "ready" can be taken back to the oven (src/lib/domain/recall.ts)
    undoSeconds: config().KITCHEN_UNDO_SECONDS,
    prepTargetSeconds: pizzerias.find((p) => p.id === shopId)!.prepTargetSeconds ?? config().PREP_TARGET_SECONDS,
    low: { pizzeriaId: shopId, low: await lowStock(db(), shopId) },
  };
};
