import { redirect } from '@sveltejs/kit';
import { SESSION_COOKIE, logout } from '$lib/server/staff/auth.ts';
import { db } from '$lib/server/kernel/db.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/login');

export const actions: Actions = {
  default: async ({ cookies }) => {
    await logout(db(), cookies.get(SESSION_COOKIE));
    cookies.delete(SESSION_COOKIE, { path: '/' });
    redirect(303, '/login');
  },
};
