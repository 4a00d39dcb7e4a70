// What the customer is told about their order, by email and text message, once per order, step and
// channel, in their language. The workers call `notifyCustomer` for a step (workers/notifications.worker.ts);
// each message is claimed in customer_notifications before it leaves (a lease: another run waits
// while it is held, takes it over once a run that died lets it lapse) and marked sent after, so a
// repeated or concurrent job sends nothing more. The one gap left is a crash between the
// mail server or the SMS gateway accepting a message and the row being marked: the retry sends it again
// (at least once, never lost), which beats a message never sent.
import type { Logger } from 'pino';
import { distanceM } from '../domain/geo.ts';
import { travelMinutes, type EtaSettings, type TravelMode } from '../domain/eta.ts';
import { createI18n, type Locale } from '../i18n/index.ts';
import type { Db } from './db.ts';
import type { Mailer } from './mailer.ts';
import { e164, SmsRefused, type SmsProvider } from './sms.ts';

/** The steps a customer hears about; `refunded` carries what was refunded so far (a second refund is a new message). */
export type NotificationStep = 'received' | 'ready' | 'out_for_delivery' | 'delivered' | 'collected' | 'cancelled' | `refunded-${number}`;

/** Steps worth a text message too (the rest go by email only, when there is an address). */
const SMS_STEPS = new Set(['received', 'ready', 'out_for_delivery', 'cancelled']);

interface OrderForMessage {
  number: number;
  name: string;
  email: string | null;
  phone: string;
  lang: Locale;
  token: string;
  status: string;
  fulfilment: string;
  totalCents: number;
  paidCents: number;
  refundedCents: number;
  refundDueCents: number;
  captured: boolean;
  shop: string;
  from: { lat: number; lng: number } | null;
  to: { lat: number; lng: number } | null;
}

async function orderForMessage(db: Db, orderId: string): Promise<OrderForMessage | null> {
  const { rows } = await db.query(
    `SELECT o.number, o.customer_name, o.customer_email, o.customer_phone, o.customer_lang, o.tracking_token, o.status, o.fulfilment,
            o.total_cents, o.paid_cents, o.refunded_cents, o.refund_due_cents, o.address_lat, o.address_lng, p.name AS shop, p.lat, p.lng,
            EXISTS (SELECT 1 FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'captured') AS captured
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1`,
    [orderId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    number: r.number, name: r.customer_name, email: r.customer_email, phone: r.customer_phone, lang: r.customer_lang, token: r.tracking_token,
    status: r.status, fulfilment: r.fulfilment, totalCents: r.total_cents, paidCents: r.paid_cents, refundedCents: r.refunded_cents,
    refundDueCents: r.refund_due_cents, captured: r.captured, shop: r.shop,
    from: r.lat !== null ? { lat: r.lat, lng: r.lng } : null,
    to: r.address_lat !== null ? { lat: r.address_lat, lng: r.address_lng } : null,
  };
}

/** The email and the text message of a step, in the customer's language. */
export function composeMessages(o: OrderForMessage, step: NotificationStep, ctx: { origin: string; eta: EtaSettings; mode: TravelMode }) {
  const { t, price } = createI18n(o.lang);
  const link = `${ctx.origin}/track/${o.token}`;
  const key = step.startsWith('refunded') ? 'refunded' : step;
  const minutes = o.from && o.to ? Math.max(1, Math.round(travelMinutes(distanceM(o.from, o.to), ctx.mode, ctx.eta))) : null;
  // what happens to the money of a cancelled order: given back, a hold let go, or nothing was taken
  const money =
    o.paidCents === 0 ? t('notify.money.nothing')
    : o.captured ? t('notify.money.refund', { amount: price(o.paidCents) })
    : t('notify.money.released', { amount: price(o.paidCents) });
  const vars = {
    number: o.number, name: o.name, shop: o.shop, total: price(o.totalCents), link, minutes: minutes ?? 30,
    receipt: `${link}/receipt`, paid: price(o.paidCents - o.refundedCents), money,
    amount: price(Number(step.split('-')[1] ?? 0)),
  };
  const text = `${t(`notify.${key}.text`, vars)}\n\n-- \n${t('notify.footer')}`;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const html = `<div style="font-family:system-ui,sans-serif;max-width:560px;line-height:1.5">${text
    .split('\n\n')
    .map((p) => `<p>${escape(p).replace(/\n/g, '<br>').replace(/(https?:\/\/\S+)/g, '<a href="$1">$1</a>')}</p>`)
    .join('')}</div>`;
  return {
    email: o.email ? { to: o.email, subject: t(`notify.${key}.subject`, vars), text, html } : null,
    sms: SMS_STEPS.has(key) ? { to: e164(o.phone), text: t(`notify.${key}.sms`, vars) } : null,
  };
}

/** How long a run that died may hold a message before another run sends it. */
const CLAIM_LEASE_SECONDS = 120;

/**
 * Claims one message for this run: 'sent' when it went out already, 'busy' while another run is
 * sending it (the job tries again later), 'claimed' when this run sends it.
 */
async function claim(db: Db, orderId: string, step: string, channel: 'email' | 'sms', recipient: string): Promise<'claimed' | 'sent' | 'busy'> {
  const { rows } = await db.query(
    `INSERT INTO customer_notifications (order_id, step, channel, status, recipient, claimed_at) VALUES ($1, $2, $3, 'sending', $4, now())
     ON CONFLICT (order_id, step, channel) DO UPDATE SET attempts = customer_notifications.attempts + 1, claimed_at = now()
       WHERE customer_notifications.status <> 'sent'
         AND (customer_notifications.claimed_at IS NULL OR customer_notifications.claimed_at < now() - make_interval(secs => $5))
     RETURNING attempts`,
    [orderId, step, channel, recipient, CLAIM_LEASE_SECONDS],
  );
  if (rows.length) return 'claimed';
  const { rows: now } = await db.query(`SELECT status FROM customer_notifications WHERE order_id = $1 AND step = $2 AND channel = $3`, [orderId, step, channel]);
  return now[0]?.status === 'sent' ? 'sent' : 'busy';
}

async function mark(db: Db, orderId: string, step: string, channel: string, outcome: { sent: true; providerId: string | null } | { sent: false; error: string }) {
  if (outcome.sent) {
    await db.query(`UPDATE customer_notifications SET status = 'sent', sent_at = now(), provider_id = $4, last_error = NULL, claimed_at = NULL WHERE order_id = $1 AND step = $2 AND channel = $3`, [orderId, step, channel, outcome.providerId]);
  } else {
    await db.query(`UPDATE customer_notifications SET last_error = $4, claimed_at = NULL WHERE order_id = $1 AND step = $2 AND channel = $3`, [orderId, step, channel, outcome.error.slice(0, 500)]);
  }
}

/**
 * Tells the customer about a step of the order, by email (when they gave one) and text message (for
 * the steps that warrant one), each once. A failure to send throws, for the job to retry; an SMS the
 * gateway refuses for good (a bad number) is recorded and not retried.
 */
export async function notifyCustomer(
  deps: { db: Db; mailer: Mailer; sms: SmsProvider; origin: string; eta: EtaSettings; mode: TravelMode; log?: Pick<Logger, 'warn'> },
  orderId: string,
  step: NotificationStep,
): Promise<{ email: 'sent' | 'already' | 'none'; sms: 'sent' | 'already' | 'refused' | 'none' }> {
  const { db } = deps;
  const o = await orderForMessage(db, orderId);
  // a hold let go is not a refund: the cancel's message said nothing was charged
  if (!o || (step.startsWith('refunded') && !o.captured)) return { email: 'none', sms: 'none' };
  const m = composeMessages(o, step, deps);
  const result: { email: 'sent' | 'already' | 'none'; sms: 'sent' | 'already' | 'refused' | 'none' } = { email: 'none', sms: 'none' };
  let failure: unknown = null;
  const busy = () => new Error(`another run is sending ${step} of order ${orderId}: trying again later`);
  if (m.email) {
    const claimed = await claim(db, orderId, step, 'email', m.email.to);
    if (claimed === 'sent') result.email = 'already';
    else if (claimed === 'busy') failure = busy();
    else {
      try {
        await deps.mailer.send(m.email);
        await mark(db, orderId, step, 'email', { sent: true, providerId: null });
        result.email = 'sent';
      } catch (err) {
        await mark(db, orderId, step, 'email', { sent: false, error: (err as Error).message });
        failure = err;
      }
    }
  }
  if (m.sms) {
    const claimed = await claim(db, orderId, step, 'sms', m.sms.to);
    if (claimed === 'sent') result.sms = 'already';
    else if (claimed === 'busy') failure ??= busy();
    else {
      try {
        const id = await deps.sms.send(m.sms);
        await mark(db, orderId, step, 'sms', { sent: true, providerId: id });
        result.sms = 'sent';
      } catch (err) {
        await mark(db, orderId, step, 'sms', { sent: false, error: (err as Error).message });
        if (err instanceof SmsRefused) {
          // a number the gateway will never take: kept as sent-with-error so nothing retries it
          await db.query(`UPDATE customer_notifications SET status = 'sent' WHERE order_id = $1 AND step = $2 AND channel = 'sms'`, [orderId, step]);
          deps.log?.warn({ orderId, step, err: (err as Error).message }, 'SMS refused for good');
          result.sms = 'refused';
        } else failure ??= err;
      }
    }
  }
  if (failure) throw failure;
  return result;
}

/** Which step (if any) an order event is, for the customer. */
export function stepOfEvent(type: string, o: { status: string; fulfilment: string; refundedCents: number }): NotificationStep | null {
  if ((type === 'order.status' || type === 'order.placed') && ['received', 'out_for_delivery', 'delivered', 'collected', 'cancelled'].includes(o.status)) {
    return o.status as NotificationStep;
  }
  if (type === 'order.status' && o.status === 'ready' && o.fulfilment === 'pickup') return 'ready';
  if (type === 'order.refunded' && o.refundedCents > 0) return `refunded-${o.refundedCents}`;
  return null;
}
