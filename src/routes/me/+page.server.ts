import { customerAccount } from '$lib/server/customers/account.ts';
import { allergiesOf } from '$lib/server/customers/customer-allergies.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => ({
  account: locals.customer ? await customerAccount(db(), locals.customer) : null,
  // their allergies, kept with their consent (health data): their own section of the page
  allergies: locals.customer ? await allergiesOf(db(), locals.customer.id) : null,
  onlinePayment: config().paymentMode !== 'off',
});
