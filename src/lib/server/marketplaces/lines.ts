// A platform order's lines in our terms: each item and option the platform names, by our own id as
// we pushed it (p12, o34) or by the mapping a manager made (marketplace_items for the chain,
// marketplace_item_shops for the order's shop, which wins). Every platform id an order names is
// written there with its name and its shop (the mapping page shows a shop only what its own orders
// named), and what nobody mapped yet is named as unmapped.
import { lineKey, parseMenuId, platformPrice, unitPricesByKey, type LinePrice } from '../../domain/marketplaces.ts';
import type { LineRequest } from '../../domain/pricing.ts';
import type { Queryable } from '../kernel/db.ts';
import type { MarketplaceLineIn, MarketplaceOrderIn } from './provider.ts';

export interface MappedLines {
  items: LineRequest[];
  /** What the customer paid the platform for one, by lineKey. */
  unitPrices: Record<string, number>;
  unmapped: { externalId: string; name: string }[];
  /** Each platform line mapped, with what the customer paid for one (its price is checked against ours, linePrices). */
  lines: { name: string; productId: number; options: number[]; unitPriceCents: number }[];
}

type Mapping = Map<string, { productId: number | null; optionId: number | null }>;

/** The mapping of each platform id for the shop: its own, else the chain's. */
async function mappingsOf(q: Queryable, marketplace: string, pizzeriaId: number, externalIds: string[]): Promise<Mapping> {
  const { rows } = await q.query<{ external_id: string; product_id: number | null; option_id: number | null }>(
    `SELECT i.external_id,
       CASE WHEN s.product_id IS NOT NULL OR s.option_id IS NOT NULL THEN s.product_id ELSE i.product_id END AS product_id,
       CASE WHEN s.product_id IS NOT NULL OR s.option_id IS NOT NULL THEN s.option_id ELSE i.option_id END AS option_id
     FROM marketplace_items i
     LEFT JOIN marketplace_item_shops s ON s.marketplace = i.marketplace AND s.external_id = i.external_id AND s.pizzeria_id = $3
     WHERE i.marketplace = $1 AND i.external_id = ANY($2)`,
    [marketplace, externalIds, pizzeriaId],
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
export async function mapLines(q: Queryable, marketplace: string, pizzeriaId: number, order: MarketplaceOrderIn): Promise<MappedLines> {
  const named = order.lines.flatMap((l) => [l, ...l.options]).filter((x) => !parseMenuId(x.externalId));
  await noteNamed(q, marketplace, pizzeriaId, [...new Map(named.map((x) => [x.externalId, x.name])).entries()]);
  const known = await mappingsOf(q, marketplace, pizzeriaId, named.map((x) => x.externalId));
  const unmapped = new Map<string, string>();
  const items: LineRequest[] = [];
  const priced: { key: string; quantity: number; unitPriceCents: number }[] = [];
  const lines: MappedLines['lines'] = [];
  for (const l of order.lines) {
    const productId = resolve('product', l.externalId, known);
    if (productId === null) unmapped.set(l.externalId, l.name);
    const options = optionsOf(l, known, unmapped);
    if (productId === null || options === null) continue;
    items.push({ productId, quantity: l.quantity, ...(options.length ? { options } : {}) });
    priced.push({ key: lineKey(productId, options), quantity: l.quantity, unitPriceCents: l.unitPriceCents });
    lines.push({ name: l.name, productId, options, unitPriceCents: l.unitPriceCents });
  }
  const list = [...unmapped].map(([externalId, name]) => ({ externalId, name }));
  return { items, unitPrices: Object.fromEntries(unitPricesByKey(priced)), unmapped: list, lines };
}

/** Each mapped line's price against ours on that platform: the product's own platform price or ours with the store's markup, and its options' with the markup. */
export async function linePrices(q: Queryable, marketplace: string, markupPct: number, mapped: Pick<MappedLines, 'lines'>): Promise<LinePrice[]> {
  const productIds = [...new Set(mapped.lines.map((l) => l.productId))];
  const [products, options, own] = await Promise.all([
    q.query<{ id: number; price_cents: number }>('SELECT id, price_cents FROM products WHERE id = ANY($1)', [productIds]),
    q.query<{ id: number; price_cents: number }>('SELECT id, price_cents FROM product_options WHERE id = ANY($1)', [[...new Set(mapped.lines.flatMap((l) => l.options))]]),
    q.query<{ id: number; price_cents: number }>('SELECT product_id AS id, price_cents FROM marketplace_prices WHERE marketplace = $1 AND product_id = ANY($2)', [marketplace, productIds]),
  ]);
  const [ours, optionPrice, ownPrice] = [products, options, own].map((r) => new Map(r.rows.map((x) => [x.id, x.price_cents])));
  return mapped.lines.map((l) => ({
    name: l.name,
    paidCents: l.unitPriceCents,
    expectedCents:
      platformPrice(ours.get(l.productId) ?? 0, markupPct, ownPrice.get(l.productId) ?? null) + l.options.reduce((sum, o) => sum + platformPrice(optionPrice.get(o) ?? 0, markupPct, null), 0),
  }));
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

/** The platform's own ids an order of the shop named: kept with their name and the shop, for the mapping page (once each). */
async function noteNamed(q: Queryable, marketplace: string, pizzeriaId: number, named: [string, string][]): Promise<void> {
  if (!named.length) return;
  const [ids, names] = [named.map(([id]) => id), named.map(([id, name]) => name || id)];
  await q.query(
    `INSERT INTO marketplace_items (marketplace, external_id, name)
     SELECT $1, e, left(n, 200) FROM unnest($2::text[], $3::text[]) AS u(e, n)
     ON CONFLICT (marketplace, external_id) DO NOTHING`,
    [marketplace, ids, names],
  );
  await q.query(
    `INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id)
     SELECT $1, e, $3 FROM unnest($2::text[]) AS u(e)
     ON CONFLICT (marketplace, external_id, pizzeria_id) DO NOTHING`,
    [marketplace, ids, pizzeriaId],
  );
}
