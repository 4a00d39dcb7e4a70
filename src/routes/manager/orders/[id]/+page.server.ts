import { error } from '@sveltejs/kit';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { getOrder } from '$lib/server/orders/index.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { refundableLines, refundsOfOrder } from '$lib/server/money/refund-reads.ts';
import { tipsOfOrder } from '$lib/server/money/tip-refunds.ts';
import { orderContact } from '$lib/server/customers/order-contact.ts';
import { discountOf } from '$lib/server/offers/promos.ts';
import { ratingOfOrder } from '$lib/server/customers/ratings.ts';
import { receiptPrintsOf } from '$lib/server/printing/index.ts';
import type { PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// a manager's view of one order of their shop (head office: any): its lines and money, its rating,
// the customer's contact (its reading kept in the audit log), its refunds, and the form that refunds
// it (through the API: POST /api/orders/:id/refunds), and its tips with the refund of a card tip (POST /api/orders/:id/tip-refund)
export const load: PageServerLoad = async ({ locals, url, params }) => {
  const user = requireRole(locals, url, can.runShop);
  if (!UUID.test(params.id)) error(404, 'Order not found');
  try {
    const state = await refundsOfOrder(db(), actorOf(user), params.id);
    const order = (await getOrder(db(), params.id))!;
    const lines = await refundableLines(db(), params.id);
    const [rating, contact, discount, receipts, tips] = await Promise.all([
      ratingOfOrder(db(), params.id), orderContact(db(), actorOf(user), params.id), discountOf(db(), params.id), receiptPrintsOf(db(), params.id), tipsOfOrder(db(), actorOf(user), params.id),
    ]);
    // the till receipt's copies given out so far: the print button says "Ticket" or "Duplicata n° k"
    return { order, state: { ...state, lines }, tips, rating, contact, receiptCopiesGiven: receipts.copiesGiven, discount: discount && { kind: discount.kind, code: discount.code, points: discount.points, discountCents: discount.discountCents } };
  } catch (err) {
    if (err instanceof AppError && (err.status === 403 || err.status === 404)) error(err.status, err.message);
    throw err;
  }
};
