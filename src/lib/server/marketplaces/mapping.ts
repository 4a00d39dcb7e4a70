// The mapping page: what a platform's orders named that is not in the menu we pushed (an item or an
// option by the platform's own id, kept by the intake in marketplace_items with the shops whose
// orders named it, marketplace_item_shops), each mapped to a product or an option of our menu: by a
// shop's manager for their shop, only what their shop's orders named; by head office for a shop or
// for every shop at once (the chain's mapping, which a shop's own overrides). Once mapped, the
// platform's orders waiting for it are tried again (retryMapped, decisions.ts) by the caller.
// Every mapping and remap is audited with its shop (none: the chain's).
import { can, may, runsChain } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { forbidden, invalid, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { knownPlatform } from './stores.ts';
import type { MarketplaceProvider } from './provider.ts';

export interface UnmappedItem {
  marketplace: string;
  externalId: string;
  name: string;
  firstSeen: string;
  /** How many platform orders (of the shops the actor runs) wait for it now. */
  waiting: number;
  /** The shops the actor runs whose orders named it and that have no mapping of it yet. */
  shops: { id: number; name: string }[];
}

export interface MenuChoices {
  products: { id: number; name: string }[];
  options: { id: number; name: string; product: string }[];
}

/** A mapping asked for: to a product or an option, for a shop (none: the chain, head office only). */
export interface MappingIn {
  externalId: string;
  productId: number | null;
  optionId: number | null;
  pizzeriaId?: number | null;
}

export interface Mapped {
  marketplace: string;
  externalId: string;
  /** The shop the mapping is for; null: every shop without one of its own. */
  pizzeriaId: number | null;
  productId: number | null;
  optionId: number | null;
}

function checkMapper(actor: StaffActor) {
  if (!may(actor.role, can.runShop)) throw forbidden('the mapping is for managers and head office');
}

/** How many platform orders waiting for a mapping name the item, of every shop ($1) or of shop $2. */
const WAITING_SQL = `(SELECT count(*)::int FROM marketplace_orders m WHERE m.marketplace = i.marketplace AND m.state = 'needs_mapping' AND ($1 OR m.pizzeria_id = $2)
  AND (jsonb_path_exists(m.payload, '$.lines[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id))
    OR jsonb_path_exists(m.payload, '$.lines[*].options[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id))))`;

/**
 * The platforms' names not mapped yet, the newest first, with the shops waiting for each: a
 * manager's shop's only; head office every shop's, and what no kept order named (older names).
 */
export async function unmappedItems(q: Queryable, actor: StaffActor): Promise<UnmappedItem[]> {
  checkMapper(actor);
  const all = runsChain(actor);
  if (!all && actor.pizzeriaId === null) return [];
  const { rows } = await q.query<{ marketplace: string; external_id: string; name: string; first_seen: Date; waiting: number; shops: { id: number; name: string }[] }>(
    `SELECT i.marketplace, i.external_id, i.name, coalesce(min(s.first_seen), i.first_seen) AS first_seen, ${WAITING_SQL} AS waiting,
       coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name) ORDER BY p.id) FILTER (WHERE p.id IS NOT NULL), '[]'::jsonb) AS shops
     FROM marketplace_items i
     LEFT JOIN marketplace_item_shops s ON s.marketplace = i.marketplace AND s.external_id = i.external_id
       AND s.product_id IS NULL AND s.option_id IS NULL AND ($1 OR s.pizzeria_id = $2)
     LEFT JOIN pizzerias p ON p.id = s.pizzeria_id
     WHERE i.product_id IS NULL AND i.option_id IS NULL
     GROUP BY i.marketplace, i.external_id
     HAVING count(p.id) > 0 OR ($1 AND NOT EXISTS (SELECT 1 FROM marketplace_item_shops x WHERE x.marketplace = i.marketplace AND x.external_id = i.external_id))
     ORDER BY 4 DESC, i.marketplace, i.external_id`,
    [all, actor.pizzeriaId],
  );
  return rows.map((r) => ({ marketplace: r.marketplace, externalId: r.external_id, name: r.name, firstSeen: r.first_seen.toISOString(), waiting: r.waiting, shops: r.shops }));
}

/** Our menu as the mapping's choices: active products, and their options with their product's name. */
export async function menuChoices(q: Queryable): Promise<MenuChoices> {
  const [products, options] = await Promise.all([
    q.query<{ id: number; name: string }>(`SELECT id, name FROM products WHERE active ORDER BY name, id`),
    q.query<{ id: number; name: string; product: string }>(
      `SELECT o.id, o.name, p.name AS product FROM product_options o JOIN products p ON p.id = o.product_id WHERE p.active ORDER BY p.name, o.position, o.id`,
    ),
  ]);
  return { products: products.rows, options: options.rows };
}

/** The shop a mapping is for: a manager's own (another shop's, or every shop's, is refused); head office's choice, none for every shop. */
function shopOfMapping(actor: StaffActor, asked: number | null | undefined): number | null {
  if (runsChain(actor)) return asked ?? null;
  if (actor.pizzeriaId === null || (asked !== undefined && asked !== actor.pizzeriaId)) throw forbidden('a manager maps for their own shop');
  return actor.pizzeriaId;
}

type Pair = { product_id: number | null; option_id: number | null };

/** The shop's own mapping of the item, locked; a shop whose orders never named it has none to make (a manager's: 403). */
async function shopMapping(tx: Tx, actor: StaffActor, marketplace: string, externalId: string, shop: number): Promise<Pair> {
  const { rows } = await tx.query<Pair>(
    'SELECT product_id, option_id FROM marketplace_item_shops WHERE marketplace = $1 AND external_id = $2 AND pizzeria_id = $3 FOR UPDATE',
    [marketplace, externalId, shop],
  );
  if (rows[0]) return rows[0];
  if (!runsChain(actor)) throw forbidden("only another shop's orders named this item: its mapping is not yours to make");
  if (!(await tx.query('SELECT 1 FROM pizzerias WHERE id = $1', [shop])).rowCount) throw notFound('shop');
  return { product_id: null, option_id: null };
}

async function checkTarget(tx: Tx, m: MappingIn): Promise<void> {
  if (m.productId !== null && !(await tx.query('SELECT 1 FROM products WHERE id = $1', [m.productId])).rowCount) throw invalid({ productId: 'no such product' });
  if (m.optionId !== null && !(await tx.query('SELECT 1 FROM product_options WHERE id = $1', [m.optionId])).rowCount) throw invalid({ optionId: 'no such option' });
}

/**
 * Maps a platform's name to a product or an option of ours, for a shop or for every shop (audited
 * with its shop); a name the platform never sent is a 404, one only another shop's orders named a 403.
 */
export async function mapItem(db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string, m: MappingIn): Promise<Mapped> {
  checkMapper(actor);
  knownPlatform(providers, marketplace);
  const shop = shopOfMapping(actor, m.pizzeriaId);
  return transaction(db, async (tx) => {
    const item = await tx.query<Pair & { name: string }>(
      'SELECT product_id, option_id, name FROM marketplace_items WHERE marketplace = $1 AND external_id = $2 FOR UPDATE',
      [marketplace, m.externalId],
    );
    if (!item.rows[0]) throw notFound('platform item');
    const was = shop === null ? item.rows[0] : await shopMapping(tx, actor, marketplace, m.externalId, shop);
    await checkTarget(tx, m);
    const by = `${actor.name} (${actor.role})`;
    if (shop === null) {
      await tx.query(`UPDATE marketplace_items SET product_id = $3, option_id = $4, mapped_at = now(), mapped_by = $5 WHERE marketplace = $1 AND external_id = $2`, [
        marketplace, m.externalId, m.productId, m.optionId, by,
      ]);
    } else {
      await tx.query(
        `INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id, product_id, option_id, mapped_at, mapped_by) VALUES ($1, $2, $3, $4, $5, now(), $6)
         ON CONFLICT (marketplace, external_id, pizzeria_id) DO UPDATE SET product_id = $4, option_id = $5, mapped_at = now(), mapped_by = $6`,
        [marketplace, m.externalId, shop, m.productId, m.optionId, by],
      );
    }
    const name = item.rows[0].name;
    await audit(tx, actor, {
      action: 'marketplace.map', entity: 'marketplace_item', entityId: `${marketplace}:${m.externalId}`, pizzeriaId: shop,
      before: { name, shop, productId: was.product_id, optionId: was.option_id }, after: { name, shop, productId: m.productId, optionId: m.optionId },
    });
    return { marketplace, externalId: m.externalId, pizzeriaId: shop, productId: m.productId, optionId: m.optionId };
  });
}
