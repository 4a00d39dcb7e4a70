import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { can } from '$lib/domain/permissions.ts';
import { platformId } from '$lib/shapes/marketplace-office-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { activateStore, activationOf, CONSENT_COOKIE, consentMatches, consentReturn, consentState, keepAuthorization, readAuthorization } from '$lib/server/marketplaces/activation.ts';
import { backOfficePlatforms, knownPlatform, shopsRun } from '$lib/server/marketplaces/stores.ts';
import type { Actions, PageServerLoad } from './$types';

// where the platform sends the merchant back from its consent page (head office): the code
// exchanged once for the stores the merchant may activate, then those stores, each to be given a shop
export const load: PageServerLoad = async ({ locals, url, params, cookies }) => {
  const user = requireRole(locals, url, can.runChain);
  const platform = platformId.safeParse(params.platform);
  if (!platform.success) error(404, 'no such platform');
  const provider = (() => {
    try {
      return knownPlatform(backOfficePlatforms(config()), platform.data);
    } catch {
      error(404, 'no such platform');
    }
  })();
  // off to the platform's consent page, with a state this browser keeps (checked when the merchant is sent back)
  if (url.searchParams.has('start')) {
    let to: string;
    try {
      const state = consentState();
      to = activationOf(actorOf(user), backOfficePlatforms(config()), platform.data).authorizeUrl(consentReturn(url, platform.data), state);
      cookies.set(CONSENT_COOKIE, `${platform.data}:${state}`, { path: '/manager/marketplaces', httpOnly: true, sameSite: 'lax', secure: config().secureCookies, maxAge: 15 * 60 });
    } catch (err) {
      if (err instanceof AppError) return { label: provider.label, problem: 'unavailable' as const, authorization: null, shops: [] };
      throw err;
    }
    redirect(303, to);
  }
  const code = url.searchParams.get('code');
  const refused = url.searchParams.get('error');
  if (code || refused) {
    const mine = consentMatches(cookies.get(CONSENT_COOKIE), platform.data, url.searchParams.get('state'));
    cookies.delete(CONSENT_COOKIE, { path: '/manager/marketplaces' });
    if (!mine) return { label: provider.label, problem: 'state' as const, authorization: null, shops: [] };
    if (refused || !code) return { label: provider.label, problem: 'refused' as const, authorization: null, shops: [] };
    let id: string;
    try {
      id = await keepAuthorization(db(), actorOf(user), backOfficePlatforms(config()), platform.data, code, consentReturn(url, platform.data));
    } catch (err) {
      if (err instanceof AppError) return { label: provider.label, problem: 'platform' as const, authorization: null, shops: [] };
      throw err;
    }
    // the code leaves the address bar: the authorization is read from here on by its id
    redirect(303, `${url.pathname}?authorization=${id}`);
  }
  const id = url.searchParams.get('authorization') ?? '';
  try {
    const [authorization, shops] = await Promise.all([readAuthorization(db(), actorOf(user), id), shopsRun(db(), actorOf(user))]);
    return { label: provider.label, problem: null, authorization, shops };
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return { label: provider.label, problem: 'expired' as const, authorization: null, shops: [] };
    throw err;
  }
};

const id = z.coerce.number().int().positive().max(2_147_483_647);
const activation = z.object({ authorization: z.string().uuid(), storeId: z.string().min(1).max(100), shop: id });

export const actions: Actions = {
  activate: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'activate', errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });
    const s = (k: string) => String(form.get(k) ?? '').trim();
    const body = { authorization: s('authorization'), storeId: s('storeId'), shop: s('shop') };
    return bodyChange(locals.locale, `activate-${body.storeId}`, body, activation, (d) =>
      activateStore(db(), actorOf(user), backOfficePlatforms(config()), d.authorization, d.storeId, d.shop),
    );
  },
};
