import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { addShift, changeShift, copyLastWeek, removeShift, rotaOfWeek, setLabourRate } from '$lib/server/staff/rota.ts';
import { todayInParis } from '$lib/server/money/takings.ts';
import { createI18n, type Locale } from '$lib/i18n/index.ts';
import { copyWeekSchema, rateSchema, shiftChangeSchema, shiftIdSchema, shiftSchema } from '$lib/shapes/rota-requests.ts';
import { mondayOf, type RotaRole } from '$lib/domain/rota.ts';
import { can, runsChain } from '$lib/domain/permissions.ts';
import type { Actions, PageServerLoad } from './$types';

// a manager plans their shop, head office the shop it picks (the first by default); the week is
// the one of `week` (any of its dates), this week by default
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const shops = runsChain(user) ? (await listPizzerias(db())).map((p) => ({ id: p.id, name: p.name })) : [];
  const picked = Number(url.searchParams.get('shop'));
  const shopId = runsChain(user) ? (shops.find((s) => s.id === picked) ?? shops[0]).id : user.pizzeriaId!;
  const asked = url.searchParams.get('week') ?? '';
  const week = /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked)) ? asked : await todayInParis(db());
  const today = await todayInParis(db());
  return { rota: await rotaOfWeek(db(), actorOf(user), shopId, mondayOf(week)), shopId, shops, today };
};

/** The service's refusals in the page's language (rota.errors.<code>), on the field they concern. */
const said = (locale: Locale) => async <R>(run: () => Promise<R>): Promise<R> => {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    const text = createI18n(locale).t(`rota.errors.${err.code}`, { defaultValue: err.message });
    const fields = Object.fromEntries(Object.keys(err.details.fields ?? { form: '' }).map((k) => [k, text]));
    throw new AppError(err.status, `rota_${err.code}`, text, { fields });
  }
};

const FIELDS = ['pizzeriaId', 'userId', 'role', 'date', 'start', 'end'];

export const actions: Actions = {
  add: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'add', FIELDS, shiftSchema, (d) =>
      said(locals.locale)(() => addShift(db(), actorOf(user), { ...d, role: d.role as RotaRole | undefined })),
    );
  },
  change: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'change', ['id', ...FIELDS.slice(1)], shiftChangeSchema, ({ id, ...d }) =>
      said(locals.locale)(() => changeShift(db(), actorOf(user), id, { ...d, role: d.role as RotaRole | undefined })),
    );
  },
  remove: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'row', ['id'], shiftIdSchema, (d) => said(locals.locale)(() => removeShift(db(), actorOf(user), d.id)));
  },
  copy: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'copy', ['pizzeriaId', 'monday'], copyWeekSchema, (d) =>
      said(locals.locale)(() => copyLastWeek(db(), actorOf(user), d.pizzeriaId, d.monday)),
    );
  },
  rate: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    return formChange(request, locals.locale, 'rate', ['pizzeriaId', 'role', 'euros'], rateSchema, (d) =>
      said(locals.locale)(() => setLabourRate(db(), actorOf(user), d.pizzeriaId, d.role as RotaRole, d.euros)),
    );
  },
};

