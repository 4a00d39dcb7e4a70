// The fiscal archives (head office): the signed archives kept, newest first, each downloadable and
// checked again on demand; a new one for a shop or every shop over chosen days. An archive that
// does not verify is written to the technical events journal.
import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { listArchives, makeArchive, parisDays, verifyStoredArchive } from '$lib/server/fiscal/archive.ts';
import { appendJet, recordKeyInUse } from '$lib/server/fiscal/jet.ts';
import { fiscalKey, operatorPublicKeys } from '$lib/server/fiscal/keys.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { can } from '$lib/domain/permissions.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  requireRole(locals, url, can.runChain);
  const { rows } = await db().query<{ year: string; today: string }>(`SELECT to_char(now() AT TIME ZONE 'Europe/Paris', 'YYYY') AS year, (now() AT TIME ZONE 'Europe/Paris')::date::text AS today`);
  return {
    shops: (await listPizzerias(db())).map((p) => ({ id: p.id, slug: p.slug, name: p.name })),
    archives: await listArchives(db()),
    defaults: { from: `${rows[0].year}-01-01`, to: rows[0].today },
  };
};

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)));
const makeForm = z.object({ shop: z.union([z.literal(''), z.coerce.number().int().positive()]), from: day, to: day }).refine((f) => f.from <= f.to, { path: ['to'] });

export const actions: Actions = {
  make: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const form = await request.formData().catch(() => new FormData());
    const asked = { shop: String(form.get('shop') ?? ''), from: String(form.get('from') ?? ''), to: String(form.get('to') ?? '') };
    const parsed = makeForm.safeParse(asked);
    if (!parsed.success) return fail(400, { form: 'make', asked, error: 'period' as const });
    const { from, to } = await parisDays(db(), parsed.data.from, parsed.data.to);
    const archive = await makeArchive(db(), fiscalKey(config()), { shop: parsed.data.shop === '' ? null : parsed.data.shop, from, to, actor: `${user.role}:${user.id}` });
    return { form: 'make', made: archive.id };
  },
  check: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runChain);
    const id = Number((await request.formData().catch(() => new FormData())).get('id'));
    if (!Number.isSafeInteger(id) || id <= 0) return fail(400, { form: 'check', error: 'archive' as const });
    const key = fiscalKey(config());
    const report = await verifyStoredArchive(db(), id, operatorPublicKeys(config(), key));
    if (!report) return fail(404, { form: 'check', error: 'archive' as const });
    if (!report.ok) {
      await recordKeyInUse(db(), key);
      await appendJet(db(), key, {
        kind: 'verification_failed',
        sourceKey: `verification_failed:archive:${id}:${Date.now()}`,
        operator: `${user.role}:${user.id}`,
        body: { archiveId: id, problems: report.problems.map((p) => `${p.kind}: ${p.reason}`) },
      });
    }
    return { form: 'check', checked: id, ok: report.ok, problems: report.problems.map((p) => ({ kind: p.kind, reason: p.reason })), chains: report.chains.length };
  },
};
