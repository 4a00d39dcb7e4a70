// Signing in and out, and a staff account's owner: forgot the password, choose one with a link.
import { passwordSchema, forgotSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { loginSchema } from '../../src/lib/shapes/order-requests.ts';
import { SESSION_COOKIE, readCookie } from '../../src/lib/server/staff/auth.ts';
import { signIn, signOut } from '../../src/lib/server/flows/staff-sessions.ts';
import { fiscalKeyOf } from '../../src/lib/server/fiscal/signing.ts';
import { AppError } from '../../src/lib/server/kernel/errors.ts';
import { sharedAccountQueue } from '../../src/lib/server/kernel/queues.ts';
import { linkInfo, requestPasswordReset, setPasswordWithLink } from '../../src/lib/server/staff/staff.ts';
import { Routes, accepted, parse, type ApiContext } from './kit.ts';

export function accountRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);

  api.anyone.post('/auth/login', { body: loginSchema }, async ({ req, res, body }) => {
    const session = await signIn(
      db, fiscalKeyOf(config),
      { email: body.email, password: body.password, ip: req.ip ?? 'unknown' },
      { ttlHours: config.SESSION_TTL_HOURS, maxFailures: config.RATE_LIMIT_LOGIN },
    );
    if (session.status === 'locked') throw new AppError(429, 'rate_limited', 'too many failed attempts, try again in a few minutes');
    if (session.status !== 'ok') throw new AppError(401, 'bad_credentials', 'unknown email or wrong password');
    res.cookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, expires: session.expiresAt, path: '/' });
    return { user: session.user };
  });
  api.anyone.post('/auth/logout', {}, async ({ req, res }) => {
    await signOut(db, fiscalKeyOf(config), readCookie(req.headers.cookie, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });
  api.anyone.get('/auth/me', {}, ({ user }) => ({ user }));

  // no answer says whether the email exists
  api.anyone.post('/account/forgot', { use: [ctx.customerLimiter], body: forgotSchema }, async ({ body }) => {
    await requestPasswordReset(ctx.accountQueue ?? (await sharedAccountQueue()), body.email);
    return accepted({ ok: true });
  });
  api.anyone.get('/account/link', { use: [ctx.customerLimiter] }, async ({ req }) => {
    const info = await linkInfo(db, parse(passwordSchema.shape.token, req.query.token));
    if (!info) throw new AppError(410, 'link_expired', 'this link was already used or has expired: ask for a new one');
    return info;
  });
  api.anyone.post('/account/password', { use: [ctx.customerLimiter], body: passwordSchema }, ({ body }) => setPasswordWithLink(db, body.token, body.password));

  return api.router;
}
