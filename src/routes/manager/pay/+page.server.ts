import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { payRulesOf, payroll, setPayRule } from '$lib/server/staff/driver-pay.ts';
import { createI18n, type Locale } from '$lib/i18n/index.ts';
import { payRuleFormSchema } from '$lib/shapes/pay-requests.ts';
import { mondayOf } from '$lib/domain/rota.ts';
import { shiftDate } from '$lib/domain/driver-pay.ts';
import { can, runsChain } from '$lib/domain/permissions.ts';
import type { Actions, PageServerLoad } from './$types';

// a manager pays their shop's drivers, head office those of the shop it picks (the first by
// default); the payroll's period is `from`–`to` (Paris business days), this week by default
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.payDrivers);
  const shops = runsChain(user) ? (await listPizzerias(db())).map((p) => ({ id: p.id, name: p.name })) : [];
  const picked = Number(url.searchParams.get('shop'));
  const shopId = runsChain(user) ? (shops.find((s) => s.id === picked) ?? shops[0]).id : user.pizzeriaId!;
  const rules = await payRulesOf(db(), actorOf(user), shopId);
  const monday = mondayOf(rules.today);
  const from = url.searchParams.get('from') ?? monday;
  const to = url.searchParams.get('to') ?? shiftDate(monday, 6);
  const t = createI18n(locals.locale).t;
  try {
    return { ...rules, shopId, shops, from, to, payroll: await payroll(db(), actorOf(user), shopId, from, to), periodError: null };
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 400) throw err;
    return { ...rules, shopId, shops, from, to, payroll: null, periodError: t(`driverPay.errors.${err.code}`, { defaultValue: err.message }) };
  }
};

/** The service's refusals in the page's language (driverPay.errors.<code>). */
const said = (locale: Locale) => async <R>(run: () => Promise<R>): Promise<R> => {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    const text = createI18n(locale).t(`driverPay.errors.${err.code}`, { defaultValue: err.message });
    const fields = Object.fromEntries(Object.keys(err.details.fields ?? { form: '' }).map((k) => [k, text]));
    throw new AppError(err.status, `pay_${err.code}`, text, { fields });
  }
};

export const actions: Actions = {
  rule: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.payDrivers);
    return formChange(request, locals.locale, 'rule', ['pizzeriaId', 'validFrom', 'perHour', 'perDelivery', 'perKm'], payRuleFormSchema, (d) =>
      said(locals.locale)(() =>
        setPayRule(db(), actorOf(user), d.pizzeriaId, { validFrom: d.validFrom, centsPerHour: d.perHour, centsPerDelivery: d.perDelivery, centsPerKm: d.perKm }),
      ),
    );
  },
};
