import { customerAccount } from '$lib/server/customers/account.ts';
import { config } from '$lib/server/config.ts';
import { db } from '$lib/server/db.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => ({
  account: locals.customer ? await customerAccount(db(), locals.customer) : null,
  onlinePayment: config().paymentMode !== 'off',
});
