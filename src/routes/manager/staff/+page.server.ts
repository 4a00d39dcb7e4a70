import { STAFF_ROLES, staffCreateSchema, staffQuery } from '$lib/shapes/back-office-requests.ts';
import { actorOf, formChange, pageLinks } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { createStaff, listStaff, sendAccountLink, setStaffActive } from '$lib/server/staff/staff.ts';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { SHOP_CREW, can, runsChain, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const q = staffQuery.safeParse(Object.fromEntries([...url.searchParams].filter(([k]) => ['q', 'page', 'shop', 'role', 'active'].includes(k))));
  const filter = q.success ? q.data : {};
  const all = await listPizzerias(db());
  return {
    shops: shopsOf(user, all),
    staff: await listStaff(db(), actorOf(user), filter),
    filter,
    roles: runsChain(user) ? STAFF_ROLES : SHOP_CREW,
    me: user.id,
  };
};

const idOnly = z.strictObject({ id: z.coerce.number().int().positive().max(2_147_483_647) });

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'create', ['email', 'name', 'role', 'pizzeriaId'], staffCreateSchema, async (d) =>
      createStaff(db(), actorOf(user), d, await pageLinks()),
    );
  },
  disable: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'row', ['id'], idOnly, (d) => setStaffActive(db(), actorOf(user), d.id, false));
  },
  enable: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'row', ['id'], idOnly, (d) => setStaffActive(db(), actorOf(user), d.id, true));
  },
  link: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'row', ['id'], idOnly, async (d) => sendAccountLink(db(), actorOf(user), d.id, await pageLinks()));
  },
};
