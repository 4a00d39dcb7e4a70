import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { LOCALE_COOKIE, LOCALES, type Locale } from '$lib/i18n/core.ts';
import { config } from '$lib/server/kernel/config.ts';
import { safeLocalPath } from '$lib/server/kernel/safe-path.ts';

/**
 * The language switch is a plain form, so a tap works before the page's script has loaded
 * (a slow phone, a kitchen tablet just restarted): the choice is kept a year, and the reader goes
 * back to the page they were on.
 */
export const POST: RequestHandler = async ({ request, cookies }) => {
  const form = await request.formData().catch(() => null);
  const to = form?.get('to');
  if (typeof to !== 'string' || !(LOCALES as readonly string[]).includes(to)) error(400, 'unknown language');
  cookies.set(LOCALE_COOKIE, to as Locale, {
    path: '/',
    httpOnly: false,
    sameSite: 'lax',
    secure: config().secureCookies,
    maxAge: 60 * 60 * 24 * 365,
  });
  const back = form?.get('back');
  redirect(303, safeLocalPath(typeof back === 'string' ? back : null) ?? '/');
};
