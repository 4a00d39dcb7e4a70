import { fail, redirect } from '@sveltejs/kit';
import { SESSION_COOKIE, homeFor } from '$lib/server/staff/auth.ts';
import { signIn } from '$lib/server/flows/staff-sessions.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';
import { config } from '$lib/server/kernel/config.ts';
import { safeLocalPath } from '$lib/server/kernel/safe-path.ts';
import { db } from '$lib/server/kernel/db.ts';
import type { Actions, PageServerLoad } from './$types';

// a path of this site only: not "//host" nor "/\host" (browsers read both as another site), and
// printable ASCII only, as a Location header needs (the login link encodes it so)

export const load: PageServerLoad = ({ locals, url }) => {
  if (locals.user) redirect(303, safeLocalPath(url.searchParams.get('next')) ?? homeFor(locals.user.role));
  return {};
};

export const actions: Actions = {
  default: async ({ request, cookies, url, getClientAddress }) => {
    // a body that is not a form (text/plain, a broken multipart) is refused like an empty form
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { email: '', error: 'missing' as const });
    const email = String(form.get('email') ?? '').slice(0, 200);
    const password = String(form.get('password') ?? '').slice(0, 200);
    if (!email || !password) return fail(422, { email, error: 'missing' as const });
    const cfg = config();
    const session = await signIn(
      db(), fiscalKeyOf(cfg),
      { email, password, ip: getClientAddress() },
      { ttlHours: cfg.SESSION_TTL_HOURS, maxFailures: cfg.RATE_LIMIT_LOGIN },
    );
    if (session.status === 'locked') return fail(429, { email, error: 'locked' as const });
    if (session.status !== 'ok') return fail(401, { email, error: 'bad_credentials' as const });
    cookies.set(SESSION_COOKIE, session.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: cfg.secureCookies,
      expires: session.expiresAt,
    });
    redirect(303, safeLocalPath(url.searchParams.get('next')) ?? homeFor(session.user.role));
  },
};
