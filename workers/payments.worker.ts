import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { savesCardFirst } from '../src/lib/domain/card-holds.ts';
import { getOrder } from '../src/lib/server/orders/index.ts';
import { expireRefusedHold, expireUnpaidOrder, recordRefund, refundToMake } from '../src/lib/server/money/order-payments.ts';
import type { PaymentProvider } from '../src/lib/server/money/provider.ts';
import { applyPaymentAsProviderSees, applySetupAsProviderSees, processPaymentEvent, storePaymentEvent, unprocessedPaymentEvents } from '../src/lib/server/money/ledger.ts';
import { captureToMake, recordStrayRelease, recordCapture, recordCaptureFailure, recordRelease } from '../src/lib/server/money/captures.ts';
import {
  cardToForget, customerErasurePending, holdToPlace, recordCardForgotten, recordCustomerErased, recordHold, recordHoldFailure, refusedHold,
} from '../src/lib/server/money/saved-card-holds.ts';
import { paymentFormOf } from '../src/lib/server/money/payment-form.ts';
import { makePendingRefunds } from '../src/lib/server/money/refund-settling.ts';
import { makePendingTipRefunds } from '../src/lib/server/money/tip-refunds.ts';
import { shareTipsOfOrder } from '../src/lib/server/money/tips.ts';
import { rememberTipIntent, tipToBegin } from '../src/lib/server/money/tip-payments.ts';
import { transaction } from '../src/lib/server/kernel/db.ts';
import { refundDueDoorQr } from '../src/lib/server/money/door-qr.ts';
import { recordVoucherCapture, recordVoucherCaptureRefused, recordVoucherRelease, voucherHoldsToRelease, voucherToBegin, voucherToCapture, voucherWaiting } from '../src/lib/server/money/meal-vouchers-online.ts';
import { QUEUES, SHORT_JOBS, addJob, jobId, type JobData, type JobName, type Queues } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

interface PaymentDeps {
  db: Db;
  provider: PaymentProvider;
  queues: Pick<Queues, 'payments'>;
  log: Logger;
  expiryMinutes: number;
  /** A titre-restaurant's daily amount per card (MEAL_VOUCHER_DAILY_LIMIT_CENTS). */
  voucherDailyLimitCents?: number;
}
type PaymentForm = Awaited<ReturnType<typeof paymentFormOf>>;

/** What an event did; a hold the order cannot use is handed to a release job of its own. */
async function applied({ queues, log }: PaymentDeps, r: Awaited<ReturnType<typeof processPaymentEvent>>, eventId: string) {
  log.info({ eventId, orderId: r.orderId, outcome: r.outcome }, 'payment event');
  if (r.hold && r.orderId) await addJob(queues.payments, 'release', { orderId: r.orderId, ...r.hold }, { jobId: jobId.release(r.hold.intentId) });
  // a titre-restaurant refused (or a hold of one the order cannot use), and a card part that no longer counts
  for (const h of r.holds ?? []) if (r.orderId) await addJob(queues.payments, 'release', { orderId: r.orderId, ...h }, { jobId: jobId.release(h.intentId) });
  return r.outcome;
}

/**
 * Acts on a kept event. A titre-restaurant's hold is checked against the card's daily amount, whose
 * identity is the provider's fingerprint of the card: asked here, before the transaction.
 */
async function processEvent({ db, provider, voucherDailyLimitCents }: PaymentDeps, eventId: string) {
  const { rows } = await db.query<{ payload: { kind?: string; paymentId?: string; voucher?: { paymentMethod: string | null } } | null }>('SELECT payload FROM payment_events WHERE event_id = $1 AND processed_at IS NULL', [eventId]);
  const notice = rows[0]?.payload;
  const asks = notice?.voucher && notice.kind === 'held' && notice.paymentId && provider.cardFingerprint;
  const cardFingerprint = asks ? await provider.cardFingerprint!(notice.paymentId!, notice.voucher!.paymentMethod) : null;
  return processPaymentEvent(db, eventId, { cardFingerprint, dailyLimitCents: voucherDailyLimitCents });
}

/** What the webhook kept for this order and no job processed yet. */
async function applyKeptEvents(ctx: PaymentDeps, orderId: string) {
  for (const eventId of await unprocessedPaymentEvents(ctx.db, orderId)) await applied(ctx, await processEvent(ctx, eventId), eventId);
}

/** The titre-restaurant holds of an order that ended before the kitchen started it: let go. */
async function releaseVoucherHolds({ db, provider }: PaymentDeps, orderId: string) {
  if (!provider.release) return;
  for (const h of await voucherHoldsToRelease(db, orderId)) {
    await provider.release({ orderId, paymentId: h.intentId, idempotencyKey: `release-${h.intentId}` }).catch(refusalAsNull(provider));
    await recordVoucherRelease(db, h.intentId);
  }
}

/** A refusal from the provider is an answer (null); anything else is thrown, for the job to try again. */
const refusalAsNull = (provider: PaymentProvider) => (err: unknown) => {
  if (!provider.isRefusal(err)) throw err;
  return null;
};

/** A card to save whose webhook never came: the provider's setup, honoured as the webhook would have been. */
async function honourSavedCard(ctx: PaymentDeps, orderId: string, form: PaymentForm) {
  const { db, provider, log } = ctx;
  if (form?.status !== 'pending_payment' || form.kind !== 'save' || !form.intentId || !provider.retrieveSetup) return null;
  const setup = await provider.retrieveSetup(form.intentId).catch(refusalAsNull(provider));
  const r = setup && (await applySetupAsProviderSees(db, provider.name, setup));
  if (r) await applied(ctx, r, `asked_${setup.id}_saved`);
  if ((await getOrder(db, orderId))?.status === 'pending_payment') return null;
  log.warn({ orderId, setupId: form.intentId }, 'unpaid order found with its card saved at the provider: kept');
  return 'card saved at the provider';
}

/** A hold (or a payment) whose webhook never reached us: honoured as the webhook would have been. */
async function honourPayment(ctx: PaymentDeps, orderId: string, form: PaymentForm) {
  const { db, provider, log } = ctx;
  if (form?.status !== 'pending_payment' || form.kind !== 'pay' || !form.intentId || !provider.retrieve) return null;
  const intent = await provider.retrieve(form.intentId).catch((err) => {
    if (!provider.isRefusal(err)) throw err;
    log.warn({ orderId, err: (err as Error).message }, 'the provider does not know the payment of an unpaid order');
    return null;
  });
  if (!intent) return null;
  for (const r of await applyPaymentAsProviderSees(db, provider.name, intent)) await applied(ctx, r, `asked_${intent.id}`);
  if ((await getOrder(db, orderId))?.status === 'pending_payment') return null;
  log.warn({ orderId, intentId: intent.id, state: intent.state }, 'unpaid order found paid at the provider: kept');
  return 'paid at the provider';
}

/** QR codes paid at the door when their order no longer owed them, given back through the provider, each once (its key). */
const giveBackDoorQr = (ctx: PaymentDeps, sessionRef?: string) =>
  refundDueDoorQr(ctx.db, async (r) => {
    if (!r.intentRef) throw new Error(`no payment to give back on ${r.ref}`);
    await ctx.provider.refund({ orderId: r.orderId, amountCents: r.amountCents, paymentReference: r.intentRef, idempotencyKey: r.key });
  }, sessionRef);

/**
 * A titre-restaurant's hold whose webhook never reached us: honoured as its webhook would have been
 * (kept under an id of its own, its card's fingerprint asked first), before the card's part is.
 */
async function honourVoucherHold(ctx: PaymentDeps, orderId: string) {
  const { db, provider, log } = ctx;
  const intentId = provider.retrieve ? await voucherWaiting(db, orderId) : null;
  if (!intentId) return;
  const intent = await provider.retrieve!(intentId).catch(refusalAsNull(provider));
  if (!intent?.voucher || intent.state !== 'held') return;
  const id = `asked_${intent.id}_held`;
  await storePaymentEvent(db, {
    id, provider: provider.name, kind: 'held', providerType: 'asked: held', paymentId: intent.id, orderId: intent.orderId, attempt: intent.attempt,
    heldCents: intent.heldCents, takenCents: intent.takenCents, reason: null, voucher: intent.voucher,
  });
  log.warn({ orderId, intentId }, 'titre-restaurant hold found at the provider, its webhook never came: kept');
  await applied(ctx, await processEvent(ctx, id), id);
}

/** Online payments: every job of the payments queue (src/lib/server/kernel/queues.ts), by its name. */
const paymentJobs = {
  async begin({ orderId, attempt = 1 }, { db, provider }) {
    const order = await getOrder(db, orderId);
    if (!order || order.status !== 'pending_payment') return 'nothing to pay';
    if (order.payment.attempt !== attempt) return 'a newer attempt replaced this one';
    // a slot far ahead: the card is saved now and held the day before (src/lib/domain/card-holds.ts)
    const placedAt = Date.parse(order.timestamps.pending_payment ?? order.timestamps.created ?? '') || Date.now();
    if (provider.saveCard && savesCardFirst(order.scheduled ? Date.parse(order.scheduled.slotAt) : null, placedAt)) {
      await provider.saveCard(order);
      return 'card to save';
    }
    // a titre-restaurant's part chosen on the payment page: its own payment beside the card's
    await provider.begin(order, await voucherToBegin(db, orderId));
    return 'started';
  },

  async expire({ orderId, attempt = 1 }, ctx) {
    const { db, provider, log, expiryMinutes } = ctx;
    // before cancelling: what the webhook kept for this order and no job processed yet comes first
    await applyKeptEvents(ctx, orderId);
    // then the provider is asked. The provider away: the job tries again, and nothing is cancelled
    // meanwhile; a provider that does not know the payment has nothing to honour
    await honourVoucherHold(ctx, orderId);
    const form = await paymentFormOf(db, orderId, expiryMinutes);
    const kept = (await honourSavedCard(ctx, orderId, form)) ?? (await honourPayment(ctx, orderId, form));
    if (kept) return kept;
    const expired = await expireUnpaidOrder(db, orderId, expiryMinutes);
    if (expired) {
      log.warn({ orderId }, 'unpaid order expired');
      // the payment form stops taking cards: a hold made meanwhile is let go with the same call
      const intentId = (await paymentFormOf(db, orderId, expiryMinutes))?.intentId;
      if (intentId && provider.release) await provider.release({ orderId, paymentId: intentId, idempotencyKey: `release-${intentId}` });
      await releaseVoucherHolds(ctx, orderId);
      return 'expired';
    }
    // a timer that fired a little early (clocks differ) tries again; a newer attempt has its own timer
    const order = await getOrder(db, orderId);
    if (order?.status === 'pending_payment' && order.payment.attempt === attempt) throw new Error('not expired yet');
    return 'paid, cancelled or restarted meanwhile';
  },

  async event(data, ctx) {
    // the event as the server kept it; a job of an earlier version carries it, kept here first
    if ('event' in data) await storePaymentEvent(ctx.db, ctx.provider.noticeOf(data.event));
    const eventId = 'event' in data ? data.event.id : data.eventId;
    const outcome = await applied(ctx, await processEvent(ctx, eventId), eventId);
    // a QR code paid at the door when its order no longer owed it (door-qr.ts): given back through the provider
    await giveBackDoorQr(ctx).catch((err) => ctx.log.error({ err, eventId }, 'door payment to give back not refunded yet: the next event or the reconciler tries again'));
    return outcome;
  },

  async 'door-qr-refund'({ sessionRef }, ctx) {
    return `given back ${await giveBackDoorQr(ctx, sessionRef)}`;
  },

  async release({ orderId, intentId, amountCents, voucher }, { db, provider, log }) {
    if (!provider.release) return 'no way to let a hold go';
    await provider.release({ orderId, paymentId: intentId, idempotencyKey: `release-${intentId}` });
    // a titre-restaurant's hold is kept on its own row, not among the card's movements
    if (voucher) await recordVoucherRelease(db, intentId);
    else await recordStrayRelease(db, provider.name, orderId, intentId, amountCents);
    log.info({ orderId, intentId, amountCents }, 'stray hold released');
    return `released ${amountCents}`;
  },

  async capture({ orderId }, { db, provider, log }) {
    // a titre-restaurant's part is taken with the card's (a retry with the same key takes it once)
    const voucher = await voucherToCapture(db, orderId);
    if (voucher && provider.capture) {
      try {
        await provider.capture({ orderId, paymentId: voucher.intentId, amountCents: voucher.amountCents, idempotencyKey: `capture-voucher-${orderId}` });
        await recordVoucherCapture(db, voucher.intentId);
      } catch (err) {
        // refused (a lapsed hold): a retry will not change it, and must not keep the card's part from being taken
        if (!provider.isRefusal(err)) throw err;
        await recordVoucherCaptureRefused(db, orderId, voucher.intentId, (err as Error).message);
        log.warn({ orderId, intentId: voucher.intentId, err: (err as Error).message }, 'titre-restaurant capture refused: the order owes that part at the handover');
      }
    }
    const due = await captureToMake(db, orderId);
    if (!due || !provider.capture) return 'nothing to capture';
    try {
      const taken = await provider.capture({ orderId, paymentId: due.intentId, amountCents: due.amountCents, idempotencyKey: `capture-${orderId}` });
      const done = await recordCapture(db, provider.name, orderId, { intentId: due.intentId, amountCents: taken.amountCents });
      log.info({ orderId, amountCents: taken.amountCents, recorded: !!done }, 'hold captured');
      return `captured ${taken.amountCents}`;
    } catch (err) {
      // a refusal (an expired hold, a card blocked since) will not change on a retry: the manager is told
      if (provider.isRefusal(err)) {
        await recordCaptureFailure(db, provider.name, orderId, due.intentId, (err as Error).message);
        log.warn({ orderId, err: (err as Error).message }, 'capture refused');
        return 'capture refused';
      }
      throw err;
    }
  },

  async 'tip-begin'({ tipId }, { db, provider }) {
    if (!provider.payTip) return 'no way to take a tip';
    const tip = await tipToBegin(db, tipId);
    if (!tip) return 'nothing to begin';
    const intent = await provider.payTip({
      tipId, orderId: tip.orderId, amountCents: tip.amountCents, idempotencyKey: `tip-${tipId}`, description: `OC Pizza, pourboire commande ${tip.number}`,
    });
    await rememberTipIntent(db, tipId, intent);
    return 'started';
  },

  async 'tip-shares'({ orderId }, { db }) {
    const written = await transaction(db, (tx) => shareTipsOfOrder(tx, orderId));
    return `shares ${written}`;
  },

  async hold({ orderId }, { db, provider, log, queues }) {
    if (!provider.placeHold) return 'no way to hold a saved card';
    const ask = await holdToPlace(db, orderId);
    if (!ask) return 'nothing to hold';
    // queued before its time (a clock ahead of the database's): tried again shortly
    if (!ask.due) throw new Error(`the hold is due at ${new Date(ask.at).toISOString()}`);
    // the key names the order and its attempt, and the amount asked is fixed in the order
    // (holdToPlace): a retry, however late, gets the first answer, never a second hold
    const result = await provider.placeHold({
      orderId, attempt: ask.attempt, amountCents: ask.amountCents, customer: ask.customer, paymentMethod: ask.paymentMethod,
      idempotencyKey: `hold-${orderId}-${ask.attempt}`, description: `OC Pizza, commande ${ask.number}`,
    });
    // the kitchen started it before its hold (a manager fired it early): taken at once
    const captureNow = () => (ask.started ? addJob(queues.payments, 'capture', { orderId }, { jobId: jobId.capture(orderId) }) : undefined);
    if (result.outcome === 'held') {
      const r = await recordHold(db, provider.name, orderId, { paymentId: result.paymentId, amountCents: result.amountCents, attempt: ask.attempt });
      if (r.outcome === 'release') await addJob(queues.payments, 'release', { orderId, ...r.hold }, { jobId: jobId.release(r.hold.intentId) });
      else await captureNow();
      log.info({ orderId, amountCents: result.amountCents, outcome: r.outcome }, 'saved card held');
      return `held ${result.amountCents}`;
    }
    // declined, or the bank wants the customer: told by the reactor (a message with the payment page), with a deadline
    await recordHoldFailure(db, provider.name, orderId, result);
    log.warn({ orderId, reason: result.reason }, 'hold of a saved card refused');
    return 'hold refused';
  },

  async 'hold-deadline'({ orderId }, ctx) {
    const { db, provider, log } = ctx;
    const refused = await refusedHold(db, orderId);
    if (!refused) return 'paid or ended meanwhile';
    if (!refused.passed) throw new Error(`the deadline is ${new Date(refused.payBy).toISOString()}`);
    // as for any unpaid order: what the webhook kept comes first, then the provider is asked
    await applyKeptEvents(ctx, orderId);
    if (refused.paymentId && provider.retrieve) {
      const intent = await provider.retrieve(refused.paymentId).catch(refusalAsNull(provider));
      if (intent) for (const r of await applyPaymentAsProviderSees(db, provider.name, intent)) await applied(ctx, r, `asked_${intent.id}`);
    }
    const expired = await expireRefusedHold(db, orderId);
    if (!expired) return 'paid or started meanwhile';
    log.warn({ orderId }, 'order for later cancelled: its hold was refused and never paid');
    // the payment the customer was asked to complete can no longer be
    if (refused.paymentId && provider.release) {
      await provider.release({ orderId, paymentId: refused.paymentId, idempotencyKey: `release-${refused.paymentId}` }).catch(refusalAsNull(provider));
    }
    return 'cancelled unpaid';
  },

  async 'forget-card'({ orderId }, { db, provider }) {
    const card = await cardToForget(db, orderId);
    if (!card) return 'nothing to forget';
    if (card.unpaidIntent && provider.release) {
      await provider.release({ orderId, paymentId: card.unpaidIntent, idempotencyKey: `release-${card.unpaidIntent}` }).catch(refusalAsNull(provider));
    }
    // a card already detached is a refusal: forgotten all the same
    if (provider.forgetCard) {
      await provider.forgetCard({ orderId, paymentMethod: card.paymentMethod, idempotencyKey: `forget-${orderId}` }).catch(refusalAsNull(provider));
    }
    await recordCardForgotten(db, orderId);
    return 'card forgotten';
  },

  async 'delete-customer'({ customerRef }, { db, provider, log }) {
    if (!(await customerErasurePending(db, customerRef))) return 'deleted already';
    // the provider down: thrown, the job tries again (and the reconciler after it), the erasure kept in Postgres
    const outcome = provider.deleteCustomer ? await provider.deleteCustomer(customerRef) : 'gone';
    await recordCustomerErased(db, customerRef);
    log.info({ outcome }, 'provider customer of an erased account deleted');
    return `customer ${outcome}`;
  },

  async 'manager-refund'({ orderId }, { db, provider, log }) {
    const made = await makePendingRefunds(db, provider, orderId);
    // and the order's tips a manager refunds, by the same road (src/lib/server/money/tip-refunds.ts)
    const tips = await makePendingTipRefunds(db, provider, orderId);
    log.info({ orderId, ...made, tipsDone: tips.done, tipsFailed: tips.failed }, 'manager refunds');
    return `refunds done ${made.done}, failed ${made.failed}; tips done ${tips.done}, failed ${tips.failed}`;
  },

  async refund({ orderId }, { db, provider, log }) {
    const due = await refundToMake(db, orderId);
    if (!due) return 'nothing to refund';
    if (due.hold) {
      if (!provider.release) return 'a hold, and no way to let it go';
      await provider.release({ orderId, paymentId: due.paymentReference, idempotencyKey: `release-${due.paymentReference}` });
      await recordRelease(db, provider.name, orderId, due.paymentReference);
      await releaseVoucherHolds({ db, provider, log } as PaymentDeps, orderId);
      log.info({ orderId, amountCents: due.amountCents }, 'hold released');
      return `released ${due.amountCents}`;
    }
    const refund = await provider.refund({ orderId, amountCents: due.amountCents, paymentReference: due.paymentReference, idempotencyKey: `${orderId}-${due.refundedSoFarCents}` });
    await recordRefund(db, orderId, { ...refund, provider: provider.name });
    log.info({ orderId, amountCents: refund.amountCents, reference: refund.reference }, 'refund made');
    return `refunded ${refund.amountCents}`;
  },
} satisfies Handlers<'payments', PaymentDeps>;

/** Online payments: starting them, the provider's events, unpaid orders expiring, captures, releases and refunds. */
export function startPaymentsWorker(deps: PaymentDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'payments'>, unknown, JobName<'payments'>>(QUEUES.payments, processorOf('payments', paymentJobs, deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 5,
    // a workers process killed in the middle of a capture or a refund: the other takes the job up soon
    ...SHORT_JOBS,
  });
}
