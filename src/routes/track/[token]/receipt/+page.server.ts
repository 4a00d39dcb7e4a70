import { error } from '@sveltejs/kit';
import { db } from '$lib/server/kernel/db.ts';
import { getOrderIdByToken } from '$lib/server/orders/index.ts';
import { cardTipsOfReceipt } from '$lib/server/money/tips.ts';
import { issuedReceiptOf, receiptKey, requesterOf } from '$lib/server/money/receipt-issues.ts';
import type { PageServerLoad } from './$types';

// The receipt page: a till receipt once the sale is in the fiscal journal (the original the first
// time it is shown, a counted duplicate after: receipt-issues.ts), else a summary that says it is
// not one. Never cached: each showing is a copy given out.
export const load: PageServerLoad = async ({ params, locals, setHeaders }) => {
  const id = await getOrderIdByToken(db(), params.token);
  const found = id ? await issuedReceiptOf(db(), receiptKey(), id, locals.locale, { form: 'page', requestedBy: requesterOf(locals.user) }) : null;
  if (!found) error(404, 'Order not found');
  setHeaders({ 'cache-control': 'private, no-store' });
  return {
    token: params.token,
    receipt: found.kind === 'ticket' ? found.receipt : null,
    summary: found.kind === 'summary' ? found.receipt : null,
    none: found.kind === 'none' ? found.why : null,
    // a tip paid by card for the driver, and one refunded since: under the total, not a sale (src/lib/server/money/tips.ts)
    tips: id && found.kind === 'ticket' ? await cardTipsOfReceipt(db(), id) : { paidCents: 0, refundedCents: 0 },
  };
};
