import { redirect } from '@sveltejs/kit';
import { SESSION_COOKIE } from '$lib/server/staff/auth.ts';
import { signOut } from '$lib/server/flows/staff-sessions.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/login');

export const actions: Actions = {
  default: async ({ cookies }) => {
    await signOut(db(), fiscalKeyOf(config()), cookies.get(SESSION_COOKIE));
    cookies.delete(SESSION_COOKIE, { path: '/' });
    redirect(303, '/login');
  },
};
