import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { clockIn, clockOut, myShifts } from '$lib/server/staff/clock-ins.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { can } from '$lib/domain/permissions.ts';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';

// the kitchen's and the counter's own shifts, and their clock (a driver's is their phone's switch)
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.clockIn);
  return await myShifts(db(), user.id);
};

const nothing = z.strictObject({});

export const actions: Actions = {
  in: async ({ locals, url }) => {
    const user = requireRole(locals, url, can.clockIn);
    return bodyChange(locals.locale, 'clock', {}, nothing, () => clockIn(db(), actorOf(user)));
  },
  out: async ({ locals, url }) => {
    const user = requireRole(locals, url, can.clockIn);
    return bodyChange(locals.locale, 'clock', {}, nothing, () => clockOut(db(), actorOf(user)));
  },
};
