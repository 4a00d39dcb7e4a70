import { randomUUID } from 'node:crypto';
import type { Handle, HandleServerError } from '@sveltejs/kit';
import { SESSION_COOKIE, userForSession } from '$lib/server/staff/auth.ts';
import { db } from '$lib/server/kernel/db.ts';
import { CUSTOMER_COOKIE, customerForSession } from '$lib/server/customers/account.ts';
import { LOCALE_COOKIE, pickLocale } from '$lib/i18n/core.ts';
import { config } from '$lib/server/kernel/config.ts';
import { saleSeal } from '$lib/server/orders/seal.ts';
import { installSaleSeal } from '$lib/server/fiscal/seal.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';


export const handle: Handle = async ({ event, resolve }) => {
  // the pages' sales are sealed in their own transactions like the API's (fiscal/seal.ts): the server
  // that serves the pages put its seal in place already; pages served alone put the same one
  if (!saleSeal()) installSaleSeal(fiscalKeyOf(config()), { sales: config().FISCAL_SEAL_SALES });
  event.locals.locale = pickLocale(event.cookies.get(LOCALE_COOKIE));
  event.locals.user = await userForSession(db(), event.cookies.get(SESSION_COOKIE));
  const customerCookie = event.cookies.get(CUSTOMER_COOKIE);
  event.locals.customer = customerCookie ? await customerForSession(db(), customerCookie) : null;
  return resolve(event, { transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale) });
};

export const handleError: HandleServerError = ({ error, event, status }) => {
  const errorId = randomUUID();
  if (status >= 500) console.error(JSON.stringify({ level: 'error', errorId, path: event.url.pathname, err: String((error as Error)?.stack ?? error) }));
  return { message: status === 404 ? 'Not found' : status < 500 ? String((error as Error)?.message ?? 'Bad request').slice(0, 200) : 'Internal error', errorId };
};
