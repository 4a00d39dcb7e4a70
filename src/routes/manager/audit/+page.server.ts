import { auditQuery } from '$lib/shapes/back-office-requests.ts';
import { searchAudit } from '$lib/server/kernel/audit.ts';
import { callerAuditIds } from '$lib/server/customers/callers.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

// head office's search through every back-office change
export const load: PageServerLoad = async ({ locals, url }) => {
  requireRole(locals, url, can.runChain);
  const q = auditQuery.safeParse(Object.fromEntries([...url.searchParams].filter(([k]) => ['q', 'entity', 'page', 'shop'].includes(k))));
  const filter = q.success ? q.data : {};
  const [found, shops] = await Promise.all([
    // a phone number typed finds the counter's lookups of it, kept keyed (src/lib/server/customers/callers.ts)
    searchAudit(db(), { text: filter.q, textIds: callerAuditIds(filter.q), entity: filter.entity, page: filter.page, pizzeriaId: filter.shop }),
    listPizzerias(db()),
  ]);
  return { found, filter, shops: shops.map((s) => ({ id: s.id, name: s.name.replace('OC Pizza ', '') })) };
};
