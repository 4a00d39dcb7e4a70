// The fiscal journal's verification in the back office: a manager checks their shop's chain, head
// office any shop's or every chain (the technical events journal too). Signatures are checked with
// the operator's keys only (the key in use and FISCAL_PUBLIC_KEYS_FILE), not the keys the database
// recorded; a chain found broken is written to the technical events journal.
import { fail } from '@sveltejs/kit';
import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { fiscalKey, operatorPublicKeys } from '$lib/server/fiscal/keys.ts';
import { verifyAndRecord } from '$lib/server/fiscal/verify.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import type { SessionUser } from '$lib/server/staff/auth.ts';
import { can, may } from '$lib/domain/permissions.ts';
import type { Actions, PageServerLoad } from './$types';

async function shopsOf(user: SessionUser) {
  const all = await listPizzerias(db());
  return (may(user.role, can.runChain) ? all : all.filter((p) => p.id === user.pizzeriaId)).map((p) => ({ id: p.id, slug: p.slug, name: p.name }));
}

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const key = fiscalKey(config());
  const keys = operatorPublicKeys(config(), key);
  return { shops: await shopsOf(user), all: may(user.role, can.runChain), keyId: key.keyId, operatorKeys: keys.length };
};

export const actions: Actions = {
  run: async ({ request, locals, url }) => {
    const user = requireRole(locals, url, can.runShop);
    const shops = await shopsOf(user);
    const wanted = String((await request.formData().catch(() => new FormData())).get('shop') ?? '');
    const chainWide = may(user.role, can.runChain);
    // head office: a shop or every chain; a manager: their shop only
    const shop = wanted === '' && chainWide ? undefined : shops.find((s) => s.slug === wanted)?.slug ?? (chainWide ? null : shops[0]?.slug);
    if (shop === null) return fail(400, { scope: wanted, error: 'unknownShop' as const });
    const key = fiscalKey(config());
    const report = await verifyAndRecord(db(), key, `${user.role}:${user.id}`, { shop, operatorKeys: operatorPublicKeys(config(), key), anchorFile: config().FISCAL_ANCHOR_FILE });
    return {
      scope: shop ?? '',
      ranAt: new Date().toISOString(),
      report: {
        ok: report.ok,
        keysUnknownToOperator: report.keysUnknownToOperator,
        anomalies: report.openAnomalies.map((x) => ({ seq: x.seq, number: x.number, businessDay: x.businessDay, pizzeriaId: x.pizzeriaId, shopName: shops.find((s) => s.id === x.pizzeriaId)?.name ?? null })),
        chains: report.chains.map((c) => ({
          chain: c.chain, shop: c.shop, shopName: shops.find((s) => s.slug === c.shop)?.name ?? null,
          entries: c.entries, lastSeq: c.lastSeq, keyIds: c.keyIds, broken: c.broken,
        })),
      },
    };
  },
};
