// What the customer is told about their order, by email and text message, once per order, step and
// channel, in their language. The workers call `notifyCustomer` for a step (workers/notifications.worker.ts);
// each message is claimed in customer_notifications before it leaves (a lease: another run waits
// while it is held, takes it over once a run that died lets it lapse) and marked sent after, so a
// repeated or concurrent job sends nothing more. The one gap left is a crash between the
// mail server or the SMS gateway accepting a message and the row being marked: the retry sends it again
// (at least once, never lost), which beats a message never sent. A database that fails over between
// the two is not such a gap: the mark is tried again until the new leader takes it (markSent).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { distanceM } from '../../domain/geo.ts';
import { travelMinutes, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import { clientNetwork, contactEmail } from '../../domain/unpaid-holds.ts';
import { stepOfEvent, type NotificationStep } from '../../domain/notification-steps.ts';
import type { RefundMethod } from '../../domain/refunds.ts';
import { createI18n, type Locale } from '../../i18n/index.ts';
import { config } from '../kernel/config.ts';
import type { Db } from '../kernel/db.ts';
import type { Mailer } from '../kernel/mailer.ts';
import { refundForMessage } from '../money/refund-reads.ts';
import { e164, SmsRefused, type SmsProvider } from '../kernel/sms.ts';
import { SmsWithheld } from './sms-limits.ts';

export { stepOfEvent, type NotificationStep };

/** Steps worth a text message too (the rest go by email only, when there is an address). */
const SMS_STEPS = new Set(['received', 'ready', 'out_for_delivery', 'cancelled', 'delayed', 'hold-failed', 'refund']);

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
  /** The address the order came from (its messages count against it), if known. */
  client: string | null;
  /** A refused card hold: until when the customer may pay it. */
  payBy: Date | null;
  /** A delivery platform's order (Uber Eats, Deliveroo): the platform tells its customer itself. */
  platform?: boolean;
  /** A manager's refund the step tells of (`refund-<cents>`): its own amount, why, and how it went back. */
  refund?: { amountCents: number; reason: string; method: RefundMethod } | null;
}

async function orderForMessage(db: Db, orderId: string): Promise<OrderForMessage | null> {
  const { rows } = await db.query({
    name: 'order-for-message',
    text: `SELECT o.number, o.customer_name, o.customer_email, o.customer_phone, o.customer_lang, o.tracking_token, o.status, o.fulfilment,
            o.total_cents, o.paid_cents, o.refunded_cents, o.refund_due_cents, o.address_lat, o.address_lng, p.name AS shop, p.lat, p.lng,
            host(o.client_address) AS client, o.hold_pay_by, o.payment_method = 'marketplace' AS platform,
            EXISTS (SELECT 1 FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'captured') AS captured
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1`,
    values: [orderId],
  });
  const r = rows[0];
  if (!r) return null;
  return {
    number: r.number, name: r.customer_name, email: r.customer_email, phone: r.customer_phone, lang: r.customer_lang, token: r.tracking_token,
    status: r.status, fulfilment: r.fulfilment, totalCents: r.total_cents, paidCents: r.paid_cents, refundedCents: r.refunded_cents,
    refundDueCents: r.refund_due_cents, captured: r.captured, shop: r.shop,
    from: r.lat !== null ? { lat: r.lat, lng: r.lng } : null,
    to: r.address_lat !== null ? { lat: r.address_lat, lng: r.address_lng } : null,
    client: r.client,
    payBy: r.hold_pay_by,
    platform: r.platform,
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML, in an element or an attribute. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** A step's messages: `refunded-<cents>` (what was refunded so far), `delayed-<minutes>` (how late the shop's plan expects it). */
const stepKey = (step: string) =>
  step.startsWith('refund-') ? 'refund' : step.startsWith('refunded') ? 'refunded' : step.startsWith('delayed') ? 'delayed' : step;

/**
 * Whether a step has a text message: then it always has something to send (every order has a phone),
 * so its claim is always written once it is handled (the reconciler's stepsNeverClaimed relies on it).
 */
export const sendsAText = (step: string) => SMS_STEPS.has(stepKey(step));

/** What telling a customer needs: the database, the mail and text senders, the links and the road. */
export interface NotificationDeps {
  db: Db;
  mailer: Mailer;
  sms: SmsProvider;
  origin: string;
  eta: EtaSettings;
  mode: TravelMode;
  log?: Pick<Logger, 'warn'>;
  limits?: MessageLimits;
}

/** The email and the text message of a step, in the customer's language. */
export function composeMessages(o: OrderForMessage, step: NotificationStep, ctx: { origin: string; eta: EtaSettings; mode: TravelMode }) {
  const { t, price, dateTime } = createI18n(o.lang);
  const link = `${ctx.origin}/track/${o.token}`;
  const key = stepKey(step);
  const minutes = o.from && o.to ? Math.max(1, Math.round(travelMinutes(distanceM(o.from, o.to), ctx.mode, ctx.eta))) : null;
  // what happens to the money of a cancelled order: given back, a hold let go, or nothing was taken
  const money =
    o.paidCents === 0 ? t('notify.money.nothing')
    : o.captured ? t('notify.money.refund', { amount: price(o.paidCents) })
    : t('notify.money.released', { amount: price(o.paidCents) });
  const vars = {
    number: o.number, name: o.name, shop: o.shop, total: price(o.totalCents), link, minutes: minutes ?? 30,
    receipt: `${link}/receipt`, paid: price(o.paidCents - o.refundedCents), money,
    amount: price(o.refund ? o.refund.amountCents : Number(step.split('-')[1] ?? 0)),
    reason: o.refund ? t(`refund.reason.${o.refund.reason}`) : '',
    how: o.refund ? t(`notify.refund.${o.refund.method === 'cash' ? 'howCash' : 'howCard'}`) : '',
    late: Number(step.split('-')[1] ?? 0),
    // a refused hold: the payment page, and until when
    pay: `${link}/pay`,
    deadline: o.payBy ? dateTime(o.payBy) : '',
  };
  const body = (v: typeof vars) => `${t(`notify.${key}.text`, v)}\n\n-- \n${t('notify.footer')}`;
  const text = body(vars);
  // The HTML part: every text escaped (the customer's name, the shop's, quotes included), and only
  // the links built here are links: they go in as marks no text can contain, replaced after escaping,
  // so a name that looks like a URL stays text.
  const mark = randomBytes(9).toString('hex');
  const links = new Map([[`[link-${mark}]`, link], [`[receipt-${mark}]`, vars.receipt], [`[pay-${mark}]`, vars.pay]]);
  const marked = body({ ...vars, link: `[link-${mark}]`, receipt: `[receipt-${mark}]`, pay: `[pay-${mark}]` });
  const html = `<div style="font-family:system-ui,sans-serif;max-width:560px;line-height:1.5">${marked
    .split('\n\n')
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>').replace(/\[(?:link|receipt|pay)-[0-9a-f]{18}\]/g, (m) => {
      const href = links.get(m);
      return href ? `<a href="${escapeHtml(href)}">${escapeHtml(href)}</a>` : m;
    })}</p>`)
    .join('')}</div>`;
  return {
    email: o.email ? { to: o.email, subject: t(`notify.${key}.subject`, vars), text, html } : null,
    sms: SMS_STEPS.has(key) && textable(o) ? { to: e164(o.phone), text: t(`notify.${key}.sms`, vars) } : null,
  };
}

/**
 * Whether the customer's phone takes our texts. A delivery platform's customer is the platform's: it
 * tells them of their order itself, and gives the shop a number only when the shop delivers, often a
 * masked one to call with an access code after it (Uber Eats' `phone` and `phone_code`, Deliveroo's
 * likewise), which a text cannot reach. So a platform's order is texted only when the shop delivers
 * it and its number is a plain French mobile, with nothing after it.
 */
export function textable(o: Pick<OrderForMessage, 'platform' | 'fulfilment' | 'phone'>): boolean {
  if (!o.platform) return true;
  return o.fulfilment === 'delivery' && /^(?:\+33|0033|0)[67]\d{8}$/.test((o.phone ?? '').replace(/[\s.()-]/g, ''));
}

/** How long a run that died may hold a message before another run sends it, in seconds (MESSAGE_CLAIM_LEASE_SECONDS). */
export const claimLeaseSeconds = (): number => config().MESSAGE_CLAIM_LEASE_SECONDS;

/** How many messages may go out per hour (config: MESSAGES_PER_DESTINATION_PER_HOUR, MESSAGES_PER_CLIENT_PER_HOUR). */
export interface MessageLimits {
  /** To one email address, and to one phone number. */
  perDestination: number;
  /** Caused by the orders of one client address. */
  perClient: number;
}

/**
 * The keys a message counts under, as the order limits count them: its destination (an email without
 * its +tag, a phone in E.164) and the client address whose order caused it (an IPv6 client by its /64).
 */
function messageKeys(clientAddress: string | null, channel: 'email' | 'sms', recipient: string) {
  const destination = `${channel}:${channel === 'email' ? contactEmail(recipient) : e164(recipient)}`;
  const network = clientAddress ? clientNetwork(clientAddress) : null;
  return { destination, client: network ? `client:${network}` : null };
}

/**
 * Claims one message for this run and, once claimed, counts it against its allowance, in one
 * statement (one commit): 'sent' when it went out already, 'busy' while another run is sending it
 * (the job tries again later), 'limited' when this run holds it but its destination or client already
 * had their allowance in the last hour (nothing counted), else the keys it was counted under (true:
 * no limits, nothing counts).
 *
 * The allowance (db/migrations/0029) locks both keys while it counts: anyone can type someone else's
 * email or phone into an order, and this is what keeps the site from bombing them. It is asked only
 * when the claim returned a row, so a message another run holds or already sent is never counted twice.
 */
async function claimAndCount(
  db: Db, orderId: string, step: string, channel: 'email' | 'sms', recipient: string, clientAddress: string | null, limits: MessageLimits | undefined,
): Promise<'sent' | 'busy' | 'limited' | string[] | true> {
  const keys = messageKeys(clientAddress, channel, recipient);
  const { rows } = await db.query<{ claimed: boolean; ok: boolean | null }>({
    name: 'claim-message',
    text: `WITH claimed AS (
         INSERT INTO customer_notifications (order_id, step, channel, status, recipient, claimed_at) VALUES ($1, $2, $3, 'sending', $4, now())
         ON CONFLICT (order_id, step, channel) DO UPDATE SET attempts = customer_notifications.attempts + 1, claimed_at = now()
           WHERE customer_notifications.status <> 'sent'
             AND (customer_notifications.claimed_at IS NULL OR customer_notifications.claimed_at < now() - make_interval(secs => $5))
         RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM claimed) AS claimed,
              CASE WHEN $6::boolean AND EXISTS (SELECT 1 FROM claimed) THEN take_message_allowance($7, $8, $9, $10) END AS ok`,
    values: [orderId, step, channel, recipient, claimLeaseSeconds(), !!limits, keys.destination, keys.client, limits?.perDestination ?? 0, limits?.perClient ?? 0],
  });
  if (rows[0].claimed) {
    if (!limits) return true;
    return rows[0].ok ? (keys.client ? [keys.destination, keys.client] : [keys.destination]) : 'limited';
  }
  const { rows: now } = await db.query(`SELECT status FROM customer_notifications WHERE order_id = $1 AND step = $2 AND channel = $3`, [orderId, step, channel]);
  return now[0]?.status === 'sent' ? 'sent' : 'busy';
}

async function mark(db: Db, orderId: string, step: string, channel: string, outcome: { sent: true; providerId: string | null } | { sent: false; error: string }) {
  if (outcome.sent) {
    await db.query({
      name: 'mark-message-sent',
      text: `UPDATE customer_notifications SET status = 'sent', sent_at = now(), provider_id = $4, last_error = NULL, claimed_at = NULL WHERE order_id = $1 AND step = $2 AND channel = $3`,
      values: [orderId, step, channel, outcome.providerId],
    });
  } else {
    await db.query(`UPDATE customer_notifications SET last_error = $4, claimed_at = NULL WHERE order_id = $1 AND step = $2 AND channel = $3`, [orderId, step, channel, outcome.error.slice(0, 500)]);
  }
}

/** How long a message that went out keeps trying to be marked sent (well within its claim's lease: no other run sends it meanwhile). */
const markSentForMs = () => (claimLeaseSeconds() / 2) * 1000;

/**
 * Marks a message that went out as sent, trying again while the database does not answer (a failover
 * takes some seconds): a mark given up would leave the claim to lapse, and the message to be sent
 * twice. Only past markSentForMs does it throw, for the job to retry.
 */
async function markSent(db: Db, orderId: string, step: string, channel: string, providerId: string | null) {
  const until = Date.now() + markSentForMs();
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await mark(db, orderId, step, channel, { sent: true, providerId });
    } catch (err) {
      if (Date.now() + wait > until) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** A message that did not leave (the mail server or gateway failed) gives its count back: its retry counts again. */
async function uncount(db: Db, keys: string[] | true) {
  if (keys === true) return;
  await db.query(
    `DELETE FROM message_sends m USING (SELECT DISTINCT ON (key) ctid AS row FROM message_sends WHERE key = ANY($1) ORDER BY key, at DESC) last
     WHERE m.ctid = last.row`,
    [keys],
  );
}

/** A message past its allowance: recorded with why, as done, so nothing retries it. */
async function markLimited(db: Db, orderId: string, step: string, channel: 'email' | 'sms') {
  await db.query(
    `UPDATE customer_notifications SET status = 'sent', claimed_at = NULL, last_error = 'not sent: too many messages to this destination or from this client in the last hour'
     WHERE order_id = $1 AND step = $2 AND channel = $3`,
    [orderId, step, channel],
  );
}

/**
 * Tells the customer about a step of the order, by email (when they gave one) and text message (for
 * the steps that warrant one), each once. A failure to send throws, for the job to retry; an SMS the
 * gateway refuses for good (a bad number) is recorded and not retried.
 */
export async function notifyCustomer(
  deps: NotificationDeps,
  orderId: string,
  step: NotificationStep,
): Promise<{ email: 'sent' | 'already' | 'limited' | 'none'; sms: 'sent' | 'already' | 'refused' | 'withheld' | 'limited' | 'none' }> {
  const { db } = deps;
  const o = await orderForMessage(db, orderId);
  // a hold let go is not a refund: the cancel's message said nothing was charged
  if (!o || (step.startsWith('refunded') && !o.captured)) return { email: 'none', sms: 'none' };
  // a manager's refund: the message names its amount and reason (none found: nothing to tell)
  if (step.startsWith('refund-')) {
    o.refund = await refundForMessage(db, orderId, Number(step.slice('refund-'.length)));
    if (!o.refund) return { email: 'none', sms: 'none' };
  }
  const m = composeMessages(o, step, deps);
  const result: Awaited<ReturnType<typeof notifyCustomer>> = { email: 'none', sms: 'none' };
  const limited = async (channel: 'email' | 'sms') => {
    await markLimited(db, orderId, step, channel);
    deps.log?.warn({ orderId, step, channel }, 'message not sent: past its hourly allowance');
  };
  let failure: unknown = null;
  const busy = () => new Error(`another run is sending ${step} of order ${orderId}: trying again later`);
  if (m.email) {
    const counted = await claimAndCount(db, orderId, step, 'email', m.email.to, o.client, deps.limits);
    if (counted === 'sent') result.email = 'already';
    else if (counted === 'busy') failure = busy();
    else if (counted === 'limited') {
      await limited('email');
      result.email = 'limited';
    } else {
      // named after the order and the step: sent again after a run died between the mail server's
      // answer and the note below, it carries the same Message-ID, and the mailbox keeps it once
      const went = await deps.mailer.send({ ...m.email, key: `order-${orderId}-${step}` }).then(() => true, async (err) => {
        await uncount(db, counted);
        await mark(db, orderId, step, 'email', { sent: false, error: (err as Error).message });
        failure = err;
        return false;
      });
      if (went) {
        await markSent(db, orderId, step, 'email', null);
        result.email = 'sent';
      }
    }
  }
  if (m.sms) {
    const counted = await claimAndCount(db, orderId, step, 'sms', m.sms.to, o.client, deps.limits);
    if (counted === 'sent') result.sms = 'already';
    else if (counted === 'busy') failure ??= busy();
    else if (counted === 'limited') {
      await limited('sms');
      result.sms = 'limited';
    } else {
      let id: string | null | undefined;
      try {
        id = await deps.sms.send(m.sms);
      } catch (err) {
        await uncount(db, counted);
        await mark(db, orderId, step, 'sms', { sent: false, error: (err as Error).message });
        if (err instanceof SmsRefused) {
          // a number the gateway will never take, or one the chain does not text (a foreign number,
          // its range or the chain past their texts of the hour: the email, when given, tells the
          // customer): kept as sent-with-error so nothing retries it
          await db.query(`UPDATE customer_notifications SET status = 'sent' WHERE order_id = $1 AND step = $2 AND channel = 'sms'`, [orderId, step]);
          deps.log?.warn({ orderId, step, err: (err as Error).message }, err instanceof SmsWithheld ? 'SMS withheld by the texts\' limits' : 'SMS refused for good');
          result.sms = err instanceof SmsWithheld ? 'withheld' : 'refused';
        } else failure ??= err;
      }
      if (id !== undefined) {
        await markSent(db, orderId, step, 'sms', id);
        result.sms = 'sent';
      }
    }
  }
  if (failure) throw failure;
  return result;
}

/**
 * Messages claimed and never marked sent whose claim is free (a failure released it, or the run that
 * held it died and its lease lapsed), one per order and step: the reconciler queues their job again,
 * so a job Redis lost still sends them, once (the claim decides).
 */
export async function messagesNotSent(db: Db): Promise<{ orderId: string; step: NotificationStep }[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT order_id, step FROM customer_notifications
     WHERE status <> 'sent' AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $1))`,
    [claimLeaseSeconds()],
  );
  return rows.map((r) => ({ orderId: r.order_id, step: r.step }));
}

/**
 * Steps the workers' reactor already handled (events up to its cursor) in the last hour and that
 * no run ever claimed: their job was lost before it ran, or the workers stopped before sending a
 * text of their own (a text counts as lost once older than a claim's lease: until then it may be
 * waiting its turn in the workers, workers/message-sender.ts). The hour matches how long a done job
 * stays in Redis, so a step that has nothing to send (no email, a step without a text) is not
 * queued again and again; a job queued meanwhile keeps its id, and the claim decides, so nothing is
 * sent twice.
 */
export async function stepsNeverClaimed(db: Db, reactorPlaces: readonly number[]): Promise<{ orderId: string; step: NotificationStep }[]> {
  // the events the reactor has reacted to: each partition's up to its own place (event-reactor.ts),
  // walked back from the furthest place a page at a time, until a page holds nothing of the last
  // hour: the hot table keeps months of events, and this runs every minute
  const rows: { order_id: string; type: string; waiting: boolean; status: string; fulfilment: string; refunded: number | null }[] = [];
  for (let below = Math.max(0, ...reactorPlaces) + 1; ; ) {
    const { rows: page } = await db.query(
      `SELECT e.id, e.order_id, e.type, e.created_at > now() - interval '1 hour' AS recent,
              e.created_at > now() - make_interval(secs => $2) AS waiting, e.payload->>'status' AS status,
              e.payload->>'fulfilment' AS fulfilment, (e.payload->>'refundedCents')::int AS refunded,
              e.id <= coalesce(($3::bigint[])[order_event_part(e.pizzeria_id) + 1], 0) AS reacted
       FROM order_events e WHERE e.id < $1 ORDER BY e.id DESC LIMIT 500`,
      [below, claimLeaseSeconds(), reactorPlaces],
    );
    const recent = page.filter((r) => r.recent);
    rows.push(...recent.filter((r) => r.reacted && ['order.placed', 'order.status', 'order.refunded', 'order.refund_made'].includes(r.type)));
    if (!recent.length || page.length < 500) break;
    below = page.at(-1)!.id;
  }
  const steps = new Map<string, { orderId: string; step: NotificationStep }>();
  for (const r of rows) {
    const step = stepOfEvent(r.type, { status: r.status, fulfilment: r.fulfilment, refundedCents: r.refunded ?? 0 });
    // a text the workers send themselves may still be waiting its turn there, unclaimed (in a rush,
    // up to a thousand of them): it is lost only once it has waited longer than a claim's lease
    if (step && !(r.waiting && sendsAText(step))) steps.set(`${r.order_id} ${step}`, { orderId: r.order_id, step });
  }
  if (!steps.size) return [];
  const { rows: claimed } = await db.query(`SELECT DISTINCT order_id, step FROM customer_notifications WHERE order_id = ANY($1)`, [[...new Set([...steps.values()].map((s) => s.orderId))]]);
  for (const c of claimed) steps.delete(`${c.order_id} ${c.step}`);
  return [...steps.values()];
}
