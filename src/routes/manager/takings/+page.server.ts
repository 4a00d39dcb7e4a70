import { takingsQuery } from '$lib/shapes/back-office-requests.ts';
import { actorOf } from '$lib/server/staff/back-office-forms.ts';
import { db } from '$lib/server/kernel/db.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { takingsOfDay } from '$lib/server/money/takings.ts';
import { config } from '$lib/server/kernel/config.ts';
import { fiscalKeyOf } from '$lib/server/fiscal/signing.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain } from '$lib/domain/permissions.ts';
import { backOfficePlatforms } from '$lib/server/marketplaces/stores.ts';
import { doorQrProviderFor, onlineRecordsFor, terminalProviderFor } from '$lib/server/money/provider-choice.ts';
import { onlineReconciliation } from '$lib/server/money/online-reconciliation.ts';
import { doorQrReconciliation } from '$lib/server/money/door-qr.ts';
import { terminalReconciliation } from '$lib/server/money/terminal.ts';

// head office sees every shop and the chain's total, a manager their shop; a date that is not one shows today
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const asked = url.searchParams.get('date');
  const q = takingsQuery.safeParse(asked ? { date: asked } : {});
  const day = await takingsOfDay(db(), actorOf(user), runsChain(user) ? 'all' : user.pizzeriaId!, q.success ? q.data.date : undefined, { key: fiscalKeyOf(config()) });
  const platformLabels = Object.fromEntries(backOfficePlatforms(config()).map((p) => [p.id, p.label]));
  // each shop's terminal card takings against the provider's records (a shop without a reader: none)
  const terminal = terminalProviderFor(config());
  const reconciled = terminal
    ? await Promise.all(day.shops.map((s) => terminalReconciliation(db(), terminal, s.shop.id, day.date).catch(() => ({ shopId: s.shop.id, unavailable: true as const }))))
    : [];
  const terminals = Object.fromEntries(reconciled.filter((r) => r !== null).map((r) => [r.shopId, r]));
  // each shop's QR codes paid at the door against the provider's records (a shop with none that day: none)
  const door = doorQrProviderFor(config());
  const checked = door
    ? await Promise.all(day.shops.map((s) => doorQrReconciliation(db(), door, s.shop.id, day.date).catch(() => ({ shopId: s.shop.id, unavailable: true as const }))))
    : [];
  const somethingIn = (r: { shopId: number } & ({ unavailable: true } | { recordedCents: number; providerCents: number; differences: unknown[] })) =>
    'unavailable' in r || r.recordedCents || r.providerCents || r.differences.length;
  const doorQr = Object.fromEntries(checked.filter(somethingIn).map((r) => [r.shopId, r]));
  // each shop's online takings (cards captured, titres-restaurant online) against the provider's records
  const records = onlineRecordsFor(config());
  const compared = records
    ? await Promise.all(day.shops.map((s) => onlineReconciliation(db(), records, s.shop.id, day.date).catch(() => ({ shopId: s.shop.id, unavailable: true as const }))))
    : [];
  const online = Object.fromEntries(compared.filter(somethingIn).map((r) => [r.shopId, r]));
  return { day, all: runsChain(user), badDate: asked !== null && asked !== '' && !q.success, platformLabels, terminals, doorQr, online };
};
