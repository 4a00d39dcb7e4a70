import { loyaltySchemeSchema, newPromoSchema } from '$lib/shapes/promo-requests.ts';
import { actorOf, bodyChange } from '$lib/server/staff/back-office-forms.ts';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { listProducts } from '$lib/server/menu/records.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { createPromo, listPromos, setPromoActive } from '$lib/server/offers/promos.ts';
import { loyaltyScheme, setLoyaltyScheme } from '$lib/server/offers/loyalty.ts';
import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { can } from '$lib/domain/permissions.ts';

// head office's promo codes: made here, listed with their uses, stopped or started again (audited);
// and the loyalty scheme, stated here (audited)
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runChain);
  const [promos, shops, products, loyalty] = await Promise.all([listPromos(db(), actorOf(user)), listPizzerias(db()), listProducts(db()), loyaltyScheme(db())]);
  return {
    promos,
    loyalty,
    shops: shops.map((s) => ({ id: s.id, name: s.name })),
    products: products.filter((p) => p.active).map((p) => ({ id: p.id, name: p.name })),
  };
};

/** Midnight in Paris of a day (YYYY-MM-DD), as an instant with its offset. */
function parisMidnight(day: string): string {
  const noon = new Date(`${day}T12:00:00Z`);
  const offset = new Intl.DateTimeFormat('en', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' }).formatToParts(noon).find((p) => p.type === 'timeZoneName')!.value;
  return `${day}T00:00:00${offset === 'GMT' ? '+00:00' : offset.replace('GMT', '')}`;
}
const nextDay = (day: string) => new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The form as the API's body: euros to cents, days to Paris instants (the end day included), empty fields left out. */
function promoFromForm(form: FormData): Record<string, unknown> {
  const s = (k: string) => String(form.get(k) ?? '').trim();
  const num = (k: string) => (s(k) === '' ? undefined : Number(s(k).replace(',', '.')));
  const cents = (k: string) => (num(k) === undefined ? undefined : Math.round(num(k)! * 100));
  const kind = s('kind');
  const day = (k: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s(k)) ? s(k) : undefined);
  const shops = form.getAll('shop').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return {
    code: s('code'),
    kind,
    value: kind === 'amount' ? cents('value') : kind === 'percent' ? num('value') : 0,
    ...(kind === 'free_product' && s('productId') ? { productId: Number(s('productId')) } : {}),
    ...(cents('minBasket') !== undefined ? { minBasketCents: cents('minBasket') } : {}),
    ...(day('startsOn') ? { startsAt: parisMidnight(day('startsOn')!) } : {}),
    ...(day('endsOn') ? { endsAt: parisMidnight(nextDay(day('endsOn')!)) } : {}),
    ...(shops.length ? { pizzeriaIds: shops } : {}),
    ...(num('maxUses') !== undefined ? { maxUses: num('maxUses') } : {}),
    ...(num('maxUsesPerCustomer') !== undefined ? { maxUsesPerCustomer: num('maxUsesPerCustomer') } : {}),
  };
}

const idOnly = z.strictObject({ id: z.coerce.number().int().positive().max(2_147_483_647) });

export const actions: Actions = {
  create: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'create', errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });
    const raw = Object.fromEntries([...form].filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const result = await bodyChange(locals.locale, 'create', promoFromForm(form), newPromoSchema, (d) => createPromo(db(), actorOf(user), d));
    // the form keeps what was typed (euros, days), not the API's body
    return 'status' in result ? fail(result.status, { ...result.data, values: raw }) : result;
  },
  deactivate: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData();
    return bodyChange(locals.locale, 'row', { id: form.get('id') }, idOnly, (d) => setPromoActive(db(), actorOf(user), d.id, false));
  },
  loyalty: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => null);
    if (!form) return fail(415, { form: 'loyalty', errors: { form: 'not a form' } as Record<string, string>, values: {} as Record<string, string> });
    const s = (k: string) => String(form.get(k) ?? '').trim();
    // whole numbers of points; euros to cents (an empty or malformed field is refused by the schema, named)
    const int = (k: string) => (/^\d{1,9}$/.test(s(k)) ? Number(s(k)) : s(k));
    const cents = (k: string) => (/^\d{1,7}([.,]\d{1,2})?$/.test(s(k)) ? Math.round(Number(s(k).replace(',', '.')) * 100) : s(k));
    const raw = Object.fromEntries([...form].filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const body = { active: form.has('active'), pointsPerOrder: int('pointsPerOrder'), fromCents: cents('from'), rewardPoints: int('rewardPoints'), rewardMaxCents: cents('rewardMax') };
    const result = await bodyChange(locals.locale, 'loyalty', body, loyaltySchemeSchema, (d) => setLoyaltyScheme(db(), actorOf(user), d));
    return 'status' in result ? fail(result.status, { ...result.data, values: raw }) : result;
  },
  activate: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData();
    return bodyChange(locals.locale, 'row', { id: form.get('id') }, idOnly, (d) => setPromoActive(db(), actorOf(user), d.id, true));
  },
};
