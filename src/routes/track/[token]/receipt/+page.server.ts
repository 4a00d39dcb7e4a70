import { error } from '@sveltejs/kit';
import { db } from '$lib/server/db.ts';
import { getOrderIdByToken } from '$lib/server/orders.ts';
import { receiptOf } from '$lib/server/money/receipts.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params, locals }) => {
  const id = await getOrderIdByToken(db(), params.token);
  const found = id ? await receiptOf(db(), id, locals.locale) : null;
  if (!found) error(404, 'Order not found');
  return { token: params.token, receipt: found.receipt, none: found.receipt ? null : found.none };
};
