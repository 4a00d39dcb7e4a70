import { z } from 'zod';
import { fromForm } from '$lib/shapes/back-office-requests.ts';
import { paymentCorrectionSchema } from '$lib/shapes/fiscal-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { paymentsToCorrect } from '$lib/server/fiscal/corrections.ts';
import { correctPaymentAtCounter } from '$lib/server/flows/payment-correction.ts';
import { config } from '$lib/server/kernel/config.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import type { Actions, PageServerLoad } from './$types';
import { can, may, runsChain } from '$lib/domain/permissions.ts';

// the day's payments taken at the shop, and the correction of how one was taken (the counter
// pressed cash, the customer paid by card): the order says the new way, the fiscal journal keeps
// the old one and writes the correction with its reason
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.takeOrders);
  const pizzerias = await listPizzerias(db());
  const shopId = shopFor(user, url, pizzerias);
  return {
    shops: runsChain(user) ? pizzerias.map((p) => ({ id: p.id, name: p.name })) : [],
    shop: pizzerias.find((p) => p.id === shopId)!,
    orders: await paymentsToCorrect(db(), actorOf(user), shopId),
    managesShop: may(user.role, can.runShop),
  };
};

const correction = paymentCorrectionSchema.extend({ orderId: z.uuid('form.required') });

export const actions: Actions = {
  correct: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.takeOrders);
    const form = await request.formData().catch(() => new FormData());
    const body: Record<string, unknown> = fromForm(form, ['orderId', 'part', 'to', 'reason']);
    // a manager confirming it, when the counter needs one (flows/payment-correction.ts)
    const manager = fromForm(form, ['managerEmail', 'managerPassword']);
    if (manager.managerEmail) body.manager = { email: manager.managerEmail, password: manager.managerPassword ?? '' };
    const rules = { perShift: config().COUNTER_CORRECTIONS_PER_SHIFT, maxFailures: config().RATE_LIMIT_LOGIN };
    return bodyChange(locals.locale, `correct-${body.orderId}-${body.part}`, body, correction, async ({ orderId, ...req }) => {
      const { entry, confirmedBy } = await correctPaymentAtCounter(db(), actorOf(user), orderId, req, rules);
      return { seq: entry.seq, confirmedBy: confirmedBy?.name ?? null };
    });
  },
};
