import { error, fail } from '@sveltejs/kit';
import { SHOP_FIELDS, pauseSchema, shopSettingsSchema } from '$lib/shapes/back-office-requests.ts';
import { isOpenAt } from '$lib/domain/opening-hours.ts';
import { actorOf, formChange } from '$lib/server/staff/back-office-forms.ts';
import { getPizzeria, listCategories } from '$lib/server/shops/catalogue.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { listStations, saveStations } from '$lib/server/kitchen/stations.ts';
import { printerSchema, stationsSchema } from '$lib/shapes/kitchen-requests.ts';
import { policyOf } from '$lib/server/printing/address.ts';
import { printerOf, printerStatusOf, setPrinter } from '$lib/server/printing/index.ts';
import { stationsFromForm } from '$lib/faces/manager/stations-form.ts';
import { checkStations } from '$lib/domain/stations.ts';
import { createI18n } from '$lib/i18n/index.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { hoursToForm, setOnlinePaused, updateShop } from '$lib/server/shops/shops.ts';
import { legalMentionsOf, receiptKey, setLegalMentions } from '$lib/server/money/receipt-issues.ts';
import { siretText } from '$lib/domain/receipt-mentions.ts';
import type { Actions, PageServerLoad } from './$types';
import { registerReader, shopReaders } from '$lib/server/money/terminal.ts';
import { terminalProviderFor } from '$lib/server/money/provider-choice.ts';
import { readerRegistrationSchema } from '$lib/shapes/terminal-requests.ts';
import { can, runsChain, type Member } from '$lib/domain/permissions.ts';

const shopId = (raw: string, user: Member) => {
  const id = Number(raw);
  if (!/^[1-9][0-9]{0,9}$/.test(raw) || id > 2_147_483_647) error(404, 'Not found');
  if (!runsChain(user) && user.pizzeriaId !== id) error(404, 'Not found');
  return id;
};

export const load: PageServerLoad = async ({ locals, url, params }) => {
  const user = requireRole(locals, url, can.runShop);
  const shop = await getPizzeria(db(), shopId(params.id, user));
  if (!shop) error(404, 'Not found');
  const polygon = shop.zone.kind === 'polygon' ? shop.zone.points.map((p) => `${p.lat}, ${p.lng}`).join('\n') : '';
  return {
    shop,
    openNow: !shop.openingHours || isOpenAt(shop.openingHours, new Date()),
    headOffice: runsChain(user),
    // the kitchen's stations and what each makes (a product kind, or a menu category)
    stations: await listStations(db(), shop.id),
    categories: await listCategories(db(), locals.locale),
    // the kitchen's printer (labels for the boxes, paper tickets) and how it did last time
    printer: await printerOf(db(), shop.id),
    printerStatus: await printerStatusOf(db(), shop.id),
    chainPrepMinutes: Math.round(config().PREP_TARGET_SECONDS / 60),
    // what its receipts print: legal name, SIRET, VAT number (head office keeps them)
    legal: await legalMentionsOf(db(), shop.id),
    // the counter's card terminals (a provider: Stripe's keys, or the demo's simulated reader)
    readers: await shopReaders(db(), shop.id),
    terminal: { available: !!terminalProviderFor(config()), demo: config().paymentMode === 'demo' },
    values: {
      name: shop.name,
      address: shop.address,
      lat: String(shop.lat),
      lng: String(shop.lng),
      phone: shop.phone ?? '',
      deliveryRadiusM: String(shop.zone.kind === 'radius' ? shop.zone.radiusM : 3000),
      deliveryPolygon: polygon,
      prepTargetMinutes: shop.prepTargetSeconds ? String(Math.round(shop.prepTargetSeconds / 60)) : '',
      startTargetMinutes: shop.startTargetSeconds ? String(Math.round(shop.startTargetSeconds / 60)) : '',
      handoverTargetMinutes: shop.handoverTargetSeconds ? String(Math.round(shop.handoverTargetSeconds / 60)) : '',
      ovenMinutesPerSlot: String(shop.ovenMinutesPerSlot),
      halfAndHalfPricing: shop.halfAndHalfPricing,
      allergyReadFirst: shop.allergyReadFirst ? 'yes' : 'no',
      crossContactFr: shop.crossContact.fr ?? '',
      crossContactEn: shop.crossContact.en ?? '',
      ...hoursToForm(shop.openingHours),
    } as Record<string, string>,
  };
};

export const actions: Actions = {
  settings: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runChain);
    const id = shopId(params.id, user);
    return formChange(request, locals.locale, 'settings', SHOP_FIELDS, shopSettingsSchema, (d) => updateShop(db(), actorOf(user), id, d));
  },
  stations: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runShop);
    const id = shopId(params.id, user);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'stations', errors: { form: 'not a form' } as Record<string, string> });
    const t = createI18n(locals.locale).t;
    const parsed = stationsSchema.safeParse({ stations: stationsFromForm(form) });
    if (!parsed.success) {
      return fail(422, { form: 'stations', errors: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), t('stations.errors.name')])) as Record<string, string> });
    }
    // the mistakes a manager can make, said in the page's language (the service checks the same again)
    const problems = checkStations(parsed.data.stations);
    if (problems.length) {
      const kind = (k?: string) => (k ? t(`menu.category.${k}`) : '');
      return fail(422, {
        form: 'stations',
        errors: Object.fromEntries(problems.map((p) => [p.field === 'stations' ? 'form' : p.field, t(`stations.errors.${p.code}`, { name: kind(p.name) || (p.name ?? ''), other: p.other ?? '' })])) as Record<string, string>,
      });
    }
    try {
      await saveStations(db(), id, parsed.data.stations);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return fail(err.status, { form: 'stations', errors: { ...(err.details.fields ?? {}), form: err.message } as Record<string, string> });
      throw err;
    }
    return { form: 'stations', done: true };
  },
  printer: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runShop);
    const id = shopId(params.id, user);
    const t = createI18n(locals.locale).t;
    const form = await request.formData().catch(() => null);
    const values = { host: String(form?.get('host') ?? '').trim(), port: String(form?.get('port') ?? '9100').trim() || '9100' };
    const parsed = printerSchema.safeParse(values);
    if (!parsed.success) {
      const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), t(i.path[0] === 'port' ? 'printer.badPort' : 'printer.badHost')]));
      return fail(422, { form: 'printer', errors: errors as Record<string, string>, values });
    }
    try {
      await setPrinter(db(), id, parsed.data, policyOf(config()));
    } catch (err) {
      // an address the workers may not reach: said in the page's words, field by field
      if (err instanceof AppError && err.status < 500) {
        const fields = Object.keys(err.details.fields ?? {});
        const errors = Object.fromEntries(fields.map((f) => [f, t(f === 'port' ? 'printer.refusedPort' : 'printer.refusedHost')]));
        return fail(err.status, { form: 'printer', errors: errors as Record<string, string>, values });
      }
      throw err;
    }
    return { form: 'printer', done: true };
  },
  legal: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runChain);
    const id = shopId(params.id, user);
    const t = createI18n(locals.locale).t;
    const form = await request.formData().catch(() => null);
    const values = { legalName: String(form?.get('legalName') ?? ''), siret: String(form?.get('siret') ?? ''), vatNumber: String(form?.get('vatNumber') ?? '') };
    try {
      const saved = await setLegalMentions(db(), receiptKey(), actorOf(user), id, values);
      return { form: 'legal', done: true, values: { ...saved, siret: siretText(saved.siret) } };
    } catch (err) {
      // each field's problem in the page's words (receipt-mentions.ts names them)
      if (err instanceof AppError && err.status === 422) {
        const errors = Object.fromEntries(Object.entries(err.details.fields ?? {}).map(([f, code]) => [f, t(`shops.legal.errors.${code}`)]));
        return fail(422, { form: 'legal', errors: errors as Record<string, string>, values });
      }
      throw err;
    }
  },
  reader: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runShop);
    const id = shopId(params.id, user);
    const t = createI18n(locals.locale).t;
    const form = await request.formData().catch(() => null);
    const values = { code: String(form?.get('code') ?? '').trim(), label: String(form?.get('label') ?? '').trim() };
    const parsed = readerRegistrationSchema.safeParse(values);
    if (!parsed.success) {
      const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), t(i.path[0] === 'label' ? 'terminals.badLabel' : 'terminals.badCode')]));
      return fail(422, { form: 'reader', errors: errors as Record<string, string>, values });
    }
    const provider = terminalProviderFor(config());
    if (!provider) return fail(503, { form: 'reader', errors: { form: t('terminals.unavailable') } as Record<string, string>, values });
    try {
      await registerReader(db(), provider, actorOf(user), id, parsed.data);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        const errors: Record<string, string> = err.code === 'bad_registration_code' ? { code: t('terminals.refusedCode') } : { form: err.message };
        return fail(err.status, { form: 'reader', errors: errors as Record<string, string>, values });
      }
      throw err;
    }
    return { form: 'reader', done: true, values: { code: '', label: '' } };
  },
  online: async ({ request, locals, url, params }) => {
    const user = requireRole(locals, url, can.runShop);
    const id = shopId(params.id, user);
    return formChange(request, locals.locale, 'online', ['paused'], pauseSchema, (d) => setOnlinePaused(db(), actorOf(user), id, d.paused));
  },
};
