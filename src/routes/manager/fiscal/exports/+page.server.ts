import { z } from 'zod';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { db } from '$lib/server/kernel/db.ts';
import { AppError } from '$lib/server/kernel/errors.ts';
import { MAX_EXPORT_DAYS, vatReport } from '$lib/server/fiscal/exports.ts';
import { requireRole, shopFor } from '$lib/server/staff/page-guards.ts';
import { parisDay } from '$lib/domain/vat-report.ts';
import type { PageServerLoad } from './$types';
import { can, shopsOf } from '$lib/domain/permissions.ts';

const period = z.strictObject({ from: z.iso.date(), to: z.iso.date() });

// the daily export for B2C e-reporting: a shop's days per VAT rate, read from its fiscal chain, to
// see before downloading (the download writes the export to the technical events journal)
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const shops = shopsOf(user, all);
  const shop = shopFor(user, url, shops);
  const yesterday = parisDay(new Date(Date.now() - 86_400_000).toISOString());
  const asked = period.safeParse({ from: url.searchParams.get('from') ?? yesterday, to: url.searchParams.get('to') ?? url.searchParams.get('from') ?? yesterday });
  const from = asked.success ? asked.data.from : yesterday;
  const to = asked.success ? asked.data.to : yesterday;
  let problem: string | null = asked.success ? null : 'badDate';
  let report = null;
  try {
    report = await vatReport(db(), shop, from, to);
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 422) throw err;
    problem = err.code;
  }
  return { shops: shops.map((s) => ({ id: s.id, name: s.name })), shop: shops.find((s) => s.id === shop)!, from, to, report, problem, maxDays: MAX_EXPORT_DAYS };
};
