import { error } from '@sveltejs/kit';
import { STAFF_ROLES, staffUpdateSchema } from '$lib/shapes/back-office-requests.ts';
import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { getStaff, updateStaff } from '$lib/server/staff/staff.ts';
import type { Actions, PageServerLoad } from './$types';
import { SHOP_CREW, can, runsChain, shopsOf } from '$lib/domain/permissions.ts';

const idOf = (raw: string) => {
  const id = Number(raw);
  if (!/^[1-9][0-9]{0,9}$/.test(raw) || id > 2_147_483_647) error(404, 'Not found');
  return id;
};

export const load: PageServerLoad = async ({ locals, url, params }) => {
  const user = requireRole(locals, url, can.runShop);
  const member = await getStaff(db(), actorOf(user), idOf(params.id)).catch((err) => {
    if (err instanceof AppError && err.status === 404) error(404, 'Not found');
    throw err;
  });
  const all = await listPizzerias(db());
  return {
    member,
    shops: shopsOf(user, all),
    roles: runsChain(user) ? STAFF_ROLES : SHOP_CREW,
    me: user.id,
  };
};

export const actions: Actions = {
  default: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runShop);
    const id = idOf(params.id);
    return formChange(request, locals.locale, 'edit', ['email', 'name', 'role', 'pizzeriaId'], staffUpdateSchema, (d) => updateStaff(db(), actorOf(user), id, d));
  },
};
