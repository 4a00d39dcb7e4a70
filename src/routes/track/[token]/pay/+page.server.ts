import { error, redirect } from '@sveltejs/kit';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { DEMO_CARDS } from '$lib/server/money/demo.ts';
import { getOrderIdByToken } from '$lib/server/orders/index.ts';
import { paymentFormOf } from '$lib/server/money/payment-form.ts';
import { tipFormOf } from '$lib/server/money/tip-payments.ts';
import { onlineVoucherForm } from '$lib/server/money/meal-vouchers-online.ts';
import type { PageServerLoad } from './$types';

// The payment page of an online order, for the holder of its tracking link: Stripe's card form
// (with its client secret), or the demo page; once the order no longer waits for a payment, the
// tracking page. An order for a slot far ahead saves the card here instead (held the day before),
// and an order whose hold the bank refused then is paid here by its deadline.
export const load: PageServerLoad = async ({ params, url, setHeaders }) => {
  const c = config();
  const id = await getOrderIdByToken(db(), params.token);
  // a tip given after the delivery: a payment of its own (src/lib/server/money/tip-payments.ts)
  if (url.searchParams.has('tip')) return tipPage(id, params.token, url, setHeaders);
  // the titre-restaurant's part read first: a change committed between the two reads then shows as
  // a part still waiting, which the page looks at again, never as a refusal beside a stale amount
  const voucher = id ? await onlineVoucherForm(db(), { dailyLimitCents: c.MEAL_VOUCHER_DAILY_LIMIT_CENTS }, id) : null;
  const form = id && (await paymentFormOf(db(), id, c.PAYMENT_EXPIRY_MINUTES));
  if (!form) error(404, 'Order not found');
  if (!form.payable || c.paymentMode === 'off') redirect(303, `/track/${params.token}`);
  // the client secret is for this visitor only
  setHeaders({ 'cache-control': 'private, no-store' });
  return {
    token: params.token,
    number: form.number,
    totalCents: form.totalCents,
    tipCents: form.tipCents,
    attempt: form.attempt,
    kind: form.kind,
    // a titre-restaurant's part beside the card (meal-vouchers-online.ts): offered while nothing is held
    voucher: form.kind === 'pay' ? voucher : null,
    cardHeld: form.cardHeld,
    holdAt: form.holdAt?.toISOString() ?? null,
    mode: c.paymentMode as 'stripe' | 'demo',
    ready: !!form.intentId,
    clientSecret: c.paymentMode === 'stripe' ? form.clientSecret : null,
    publishableKey: c.paymentMode === 'stripe' ? c.STRIPE_PUBLISHABLE_KEY! : null,
    // a refused hold says so in its own words (the page's `kind`); a card refused on this page, as always
    refused: (form.kind !== 'hold' && form.paymentStatus === 'failed') || url.searchParams.get('error') === 'refused',
    fieldError: url.searchParams.get('error')?.match(/^card\.(number|expiry|cvc)$/)?.[1] ?? null,
    expiresAt: form.expiresAt.toISOString() as string | null,
    demoCards: c.paymentMode === 'demo' ? { accepted: DEMO_CARDS.accepted, declined: DEMO_CARDS.declined, declinedLater: DEMO_CARDS.declinedLater } : null,
  };
};

/** The payment page of a tip asked on the tracking page: once paid (or never asked), the tracking page. */
async function tipPage(id: string | null, token: string, url: URL, setHeaders: (h: Record<string, string>) => void) {
  const c = config();
  const tip = id && (await tipFormOf(db(), id));
  if (!id) error(404, 'Order not found');
  if (!tip || tip.status !== 'pending' || c.paymentMode === 'off') redirect(303, `/track/${token}`);
  setHeaders({ 'cache-control': 'private, no-store' });
  return {
    token,
    number: tip.number,
    totalCents: tip.amountCents,
    tipCents: tip.amountCents,
    attempt: 1,
    kind: 'tip' as const,
    voucher: null,
    cardHeld: false,
    holdAt: null,
    mode: c.paymentMode as 'stripe' | 'demo',
    ready: !!tip.intentId,
    clientSecret: c.paymentMode === 'stripe' ? tip.clientSecret : null,
    publishableKey: c.paymentMode === 'stripe' ? c.STRIPE_PUBLISHABLE_KEY! : null,
    refused: url.searchParams.get('error') === 'refused',
    fieldError: url.searchParams.get('error')?.match(/^card\.(number|expiry|cvc)$/)?.[1] ?? null,
    expiresAt: null,
    demoCards: c.paymentMode === 'demo' ? { accepted: DEMO_CARDS.accepted, declined: DEMO_CARDS.declined, declinedLater: DEMO_CARDS.declinedLater } : null,
  };
}
