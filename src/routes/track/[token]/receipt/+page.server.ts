import { error } from '@sveltejs/kit';
import { db } from '$lib/server/db.ts';
import { getOrderIdByToken } from '$lib/server/orders.ts';
import { receiptOf } from '$lib/server/receipts.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params, locals }) => {
  const id = await getOrderIdByToken(db(), params.token);
  if (!id) error(404, 'Order not found');
  return { token: params.token, receipt: await receiptOf(db(), id, locals.locale) };
};
