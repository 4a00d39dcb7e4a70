import { error, redirect } from '@sveltejs/kit';
import { may, runsChain, type Capability } from '../../domain/permissions.ts';
import type { SessionUser } from './auth.ts';

/** The page needs a logged-in user who holds the capability (`can.runShop`…); others go to the login page. */
export function requireRole(locals: { user: SessionUser | null }, url: URL, roles: Capability): SessionUser {
  const user = locals.user;
  if (!user) redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  if (!may(user.role, roles)) error(403, 'This page is not for your role');
  return user;
}

/** The shop a staff page shows: an admin picks one with ?shop=, everyone else sees their own. */
export function shopFor(user: SessionUser, url: URL, shops: { id: number }[]): number {
  if (!runsChain(user)) return user.pizzeriaId!;
  const wanted = Number(url.searchParams.get('shop'));
  return shops.some((s) => s.id === wanted) ? wanted : shops[0].id;
}
