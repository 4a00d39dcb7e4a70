import { getOrderingMenu, listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { listOrders } from '$lib/server/orders/index.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import { snapshot } from '$lib/server/operations/snapshot.ts';
import type { PageServerLoad } from './$types';
import { HANDED_OVER_STATUSES, KITCHEN_STATUSES } from '$lib/domain/order-states.ts';
import { can, runsChain } from '$lib/domain/permissions.ts';
import { shopReaders } from '$lib/server/money/terminal.ts';
import { terminalProviderFor } from '$lib/server/money/provider-choice.ts';
import { config } from '$lib/server/kernel/config.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.takeOrders);
  const pizzerias = await listPizzerias(db());
  const shopId = shopFor(user, url, pizzerias);
  const { data: orders, lastEventId } = await snapshot((q) =>
    // and those handed over within the hour (activeOnly): their till receipt, printed on demand
    listOrders(q, { pizzeriaIds: [shopId], statuses: [...KITCHEN_STATUSES, ...HANDED_OVER_STATUSES], activeOnly: true }),
  );
  return {
    pizzerias: runsChain(user) ? pizzerias : [],
    shop: pizzerias.find((p) => p.id === shopId)!,
    ...(await getOrderingMenu(db(), shopId, locals.locale)),
    orders,
    lastEventId,
    // the shop's card terminal: a reader registered (else the card is declared), the demo's simulated one
    terminal: { readers: (await shopReaders(db(), shopId)).length, demo: config().paymentMode === 'demo' && !!terminalProviderFor(config()) },
  };
};
