// A platform order's lines in our terms: each item and option the platform names, by our own id as
// we pushed it (p12, o34) or by the mapping a manager made (marketplace_items). What nobody mapped
// yet is written there with its name for the mapping page, and named as unmapped.
import { lineKey, parseMenuId, unitPricesByKey } from '../../domain/marketplaces.ts';
import type { LineRequest } from '../../domain/pricing.ts';
import type { Queryable } from '../kernel/db.ts';
import type { MarketplaceLineIn, MarketplaceOrderIn } from './provider.ts';

export interface MappedLines {
  items: LineRequest[];
  /** What the customer paid the platform for one, by lineKey. */
  unitPrices: Record<string, number>;
  unmapped: { externalId: string; name: string }[];
}

type Mapping = Map<string, { productId: number | null; optionId: number | null }>;

async function mappingsOf(q: Queryable, marketplace: string, externalIds: string[]): Promise<Mapping> {
  const { rows } = await q.query<{ external_id: string; product_id: number | null; option_id: number | null }>(
    'SELECT external_id, product_id, option_id FROM marketplace_items WHERE marketplace = $1 AND external_id = ANY($2)',
    [marketplace, externalIds],
  );
  return new Map(rows.map((r) => [r.external_id, { productId: r.product_id, optionId: r.option_id }]));
}

/** What a platform names as a product (or option) of ours: by our id, else by the mapping; null: unmapped. */
function resolve(kind: 'product' | 'option', externalId: string, known: Mapping): number | null {
  const ours = parseMenuId(externalId);
  if (ours) return ours.kind === kind ? ours.id : null;
  const m = known.get(externalId);
  return (kind === 'product' ? m?.productId : m?.optionId) ?? null;
}

/** The order's lines as we place them, or what is unmapped (written to marketplace_items for the manager). */
export async function mapLines(q: Queryable, marketplace: string, order: MarketplaceOrderIn): Promise<MappedLines> {
  const named = order.lines.flatMap((l) => [l.externalId, ...l.options.map((o) => o.externalId)]);
  const known = await mappingsOf(q, marketplace, named);
  const unmapped = new Map<string, string>();
  const items: LineRequest[] = [];
  const priced: { key: string; quantity: number; unitPriceCents: number }[] = [];
  for (const l of order.lines) {
    const productId = resolve('product', l.externalId, known);
    if (productId === null) unmapped.set(l.externalId, l.name);
    const options = optionsOf(l, known, unmapped);
    if (productId === null || options === null) continue;
    items.push({ productId, quantity: l.quantity, ...(options.length ? { options } : {}) });
    priced.push({ key: lineKey(productId, options), quantity: l.quantity, unitPriceCents: l.unitPriceCents });
  }
  const list = [...unmapped].map(([externalId, name]) => ({ externalId, name }));
  if (list.length) await noteUnmapped(q, marketplace, list);
  return { items, unitPrices: Object.fromEntries(unitPricesByKey(priced)), unmapped: list };
}

/** A line's options (each once per unit of its quantity, as our lines count them); null when one is unmapped. */
function optionsOf(l: MarketplaceLineIn, known: Mapping, unmapped: Map<string, string>): number[] | null {
  const ids: number[] = [];
  for (const o of l.options) {
    const id = resolve('option', o.externalId, known);
    if (id === null) unmapped.set(o.externalId, o.name);
    else ids.push(id);
  }
  return ids.length === l.options.length ? ids : null;
}

/** What the platform named and nobody mapped: kept with its name for the mapping page (once). */
async function noteUnmapped(q: Queryable, marketplace: string, list: { externalId: string; name: string }[]): Promise<void> {
  await q.query(
    `INSERT INTO marketplace_items (marketplace, external_id, name)
     SELECT $1, e, left(n, 200) FROM unnest($2::text[], $3::text[]) AS u(e, n)
     ON CONFLICT (marketplace, external_id) DO NOTHING`,
    [marketplace, list.map((u) => u.externalId), list.map((u) => u.name || u.externalId)],
  );
}
