// Customers' accounts, without a password: a code sent to their email or phone signs them in (a
// cookie of its own, apart from staff sessions); signed in, they read their orders, order one again
// in a tap, keep their addresses, favourite pizzas and (with their consent) allergies, add the other contact (an email to a phone's
// account, or the reverse: proved by a code, joining the account it had), download or erase their data.
import type { Request } from 'express';
import { allergiesSchema, codeRequestSchema, confirmOrderSchema, favouriteSchema, profileSchema, signInSchema, type CodeRequest } from '../../src/lib/shapes/customer-requests.ts';
import { readCookie } from '../../src/lib/server/staff/auth.ts';
import { checkCode, destinationOf, sendCode, type Destination } from '../../src/lib/server/customers/codes.ts';
import {
  CUSTOMER_COOKIE, closeCustomerSession, customerAccount, customerForSession, eraseCustomer, exportCustomerData,
  forgetAddress, openCustomerSession, renameCustomer, setFavourite,
} from '../../src/lib/server/customers/account.ts';
import { reorder } from '../../src/lib/server/flows/reorder.ts';
import { recordErasure } from '../../src/lib/server/fiscal/jet-events.ts';
import { fiscalKeyOf, recordKeyOnce } from '../../src/lib/server/fiscal/signing.ts';
import { allergiesOf, forgetAllergies, rememberAllergies } from '../../src/lib/server/customers/customer-allergies.ts';
import { addContact, sendContactCode } from '../../src/lib/server/customers/join.ts';
import { confirmOrder } from '../../src/lib/server/customers/confirm.ts';
import { AppError } from '../../src/lib/server/kernel/errors.ts';
import { idParam } from '../../src/lib/shapes/order-requests.ts';
import { Answer, Routes, accepted, created, orderId, parse, placeOptions, visitorLocale, type ApiContext } from './kit.ts';

/** Where a code goes; in production never only to the log (whoever reads the logs could sign in). */
function sendable(config: ApiContext['config'], body: CodeRequest): Destination {
  const dest = destinationOf(body);
  if (config.NODE_ENV === 'production' && !(dest.channel === 'email' ? config.SMTP_URL : config.SMS_HTTP_URL)) {
    throw new AppError(503, 'unavailable', dest.channel === 'email' ? 'codes cannot be sent by email here: use your phone' : 'codes cannot be sent by text message here: use your email');
  }
  return dest;
}

const sending = (ctx: ApiContext, req: Request, body: CodeRequest) => ({ client: req.ip ?? 'unknown', locale: body.lang ?? visitorLocale(req), mailer: ctx.mailer, sms: ctx.sms });

/** Their allergies, kept only with their explicit consent (health data, RGPD art. 9); erased at once. */
function allergyRoutes(api: Routes, db: ApiContext['db']) {
  api.customer.get('/customer/allergies', {}, async ({ customer }) => ({ allergies: await allergiesOf(db, customer.id) }));

  api.customer.put('/customer/allergies', { body: allergiesSchema }, async ({ customer, body }) => ({
    allergies: await rememberAllergies(db, customer.id, body),
  }));

  api.customer.delete('/customer/allergies', {}, async ({ customer }) => {
    await forgetAllergies(db, customer.id);
    return new Answer(204);
  });
}

export function customerRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);
  // a code asked for is a message sent: few per client address (besides the limits per destination)
  const codeLimiter = ctx.limiter('customer-code', 15 * 60_000, config.RATE_LIMIT_CUSTOMER_CODES);
  const cookie = (req: Request) => readCookie(req.headers.cookie, CUSTOMER_COOKIE);
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies, path: '/' };

  api.anyone.post('/customer/code', { use: [codeLimiter], body: codeRequestSchema }, async ({ req, body }) => {
    const dest = sendable(config, body);
    const sent = await sendCode(db, dest, sending(ctx, req, body));
    return accepted({ sentTo: dest.channel, ...sent });
  });

  api.anyone.post('/customer/session', { use: [codeLimiter], body: signInSchema }, async ({ res, body }) => {
    const { customerId } = await checkCode(db, destinationOf(body), body.code);
    const session = await openCustomerSession(db, customerId);
    res.cookie(CUSTOMER_COOKIE, session.token, { ...cookieOptions, expires: session.expiresAt });
    const customer = await customerForSession(db, session.token);
    return created({ customer });
  });

  api.anyone.delete('/customer/session', {}, async ({ req, res }) => {
    await closeCustomerSession(db, cookie(req));
    res.clearCookie(CUSTOMER_COOKIE, { path: '/' });
    return new Answer(204);
  });

  api.customer.get('/customer/me', {}, ({ customer }) => customerAccount(db, customer));

  api.customer.patch('/customer/me', { body: profileSchema }, async ({ customer, body }) => {
    await renameCustomer(db, customer.id, body.name);
    return { customer: { ...customer, name: body.name } };
  });

  api.customer.put('/customer/favourites', { body: favouriteSchema }, async ({ customer, body }) => {
    await setFavourite(db, customer.id, body.productId, body.favourite);
    return { ok: true };
  });

  allergyRoutes(api, db);

  api.customer.delete('/customer/addresses/:id', {}, async ({ req, customer }) => {
    await forgetAddress(db, customer.id, String(parse(idParam, req.params.id)));
    return new Answer(204);
  });

  api.customer.post('/customer/orders/:id/reorder', { use: [ctx.customerLimiter] }, async ({ req, res, customer }) => {
    // a tap sent twice (a retry on a flaky network) places one order: the page sends a key per tap
    const placed = await reorder(db, customer.id, orderId(req), {
      ...placeOptions(ctx, req),
      onlinePayment: config.paymentMode !== 'off',
      locale: visitorLocale(req),
    });
    const { order } = placed;
    if (placed.replayed) res.setHeader('idempotent-replayed', 'true');
    return new Answer(placed.replayed ? 200 : 201, {
      id: order.id, number: order.number, status: order.status, total: order.totalCents, trackingToken: placed.trackingToken, version: order.version,
      leftOut: placed.leftOut,
    });
  });

  // a guest order of their contact joins their history only when they give its number (confirm.ts)
  api.customer.post('/customer/orders/:id/confirm', { use: [ctx.customerLimiter], body: confirmOrderSchema }, async ({ req, customer, body }) => {
    await confirmOrder(db, customer, orderId(req), body.number);
    return { ok: true };
  });

  // the other contact, proved by a code as at sign-in (the same limits and tries): one person, one account
  api.customer.post('/customer/contact/code', { use: [codeLimiter], body: codeRequestSchema }, async ({ req, customer, body }) => {
    const dest = sendable(config, body);
    const sent = await sendContactCode(db, customer, dest, sending(ctx, req, body));
    return accepted({ sentTo: dest.channel, ...sent });
  });

  api.customer.post('/customer/contact', { use: [codeLimiter], body: signInSchema }, ({ customer, body }) => addContact(db, customer, destinationOf(body), body.code));

  api.customer.get('/customer/export', {}, async ({ customer }) => {
    const data = await exportCustomerData(db, customer.id);
    return (res: import('express').Response) => {
      res.setHeader('content-disposition', 'attachment; filename="oc-pizza-my-data.json"');
      res.json(data);
    };
  });

  api.customer.delete('/customer/me', {}, async ({ res, customer }) => {
    const { ordersAnonymised, providerCustomers } = await eraseCustomer(db, customer.id);
    // the erasure in the technical events journal: how many orders it anonymised, never who
    const key = fiscalKeyOf(ctx.config);
    await recordKeyOnce(db, key);
    await recordErasure(db, key, { ordersAnonymised, savedCards: providerCustomers.length });
    // the provider's customers of their saved cards: the workers delete them (kept in Postgres: the reconciler queues any not queued here)
    for (const ref of providerCustomers) {
      await ctx.enqueueCustomerErasure?.(ref).catch((err) => ctx.log.error({ err }, 'provider customer to delete kept, not queued: the reconciler will queue it'));
    }
    res.clearCookie(CUSTOMER_COOKIE, { path: '/' });
    return { ordersAnonymised };
  });

  return api.router;
}
