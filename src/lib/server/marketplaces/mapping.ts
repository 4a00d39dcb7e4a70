// The mapping page: what a platform's orders named that is not in the menu we pushed (an item or an
// option by the platform's own id, kept by the intake in marketplace_items), each mapped by a
// manager to a product or an option of our menu. Once mapped, the platform's orders waiting for it
// are tried again (retryMapped, decisions.ts) by the caller. Audited.
import { can, may } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { forbidden, invalid, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { knownPlatform } from './stores.ts';
import type { MarketplaceProvider } from './provider.ts';

export interface UnmappedItem {
  marketplace: string;
  externalId: string;
  name: string;
  firstSeen: string;
  /** How many platform orders wait for it now. */
  waiting: number;
}

export interface MenuChoices {
  products: { id: number; name: string }[];
  options: { id: number; name: string; product: string }[];
}

function checkMapper(actor: StaffActor) {
  if (!may(actor.role, can.runShop)) throw forbidden('the mapping is for managers and head office');
}

/** The platforms' names not mapped yet, the newest first, with how many waiting orders name each. */
export async function unmappedItems(q: Queryable, actor: StaffActor): Promise<UnmappedItem[]> {
  checkMapper(actor);
  const { rows } = await q.query<{ marketplace: string; external_id: string; name: string; first_seen: Date; waiting: number }>(
    `SELECT i.marketplace, i.external_id, i.name, i.first_seen,
       (SELECT count(*)::int FROM marketplace_orders m WHERE m.marketplace = i.marketplace AND m.state = 'needs_mapping'
          AND (jsonb_path_exists(m.payload, '$.lines[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id))
            OR jsonb_path_exists(m.payload, '$.lines[*].options[*].externalId ? (@ == $id)', jsonb_build_object('id', i.external_id)))) AS waiting
     FROM marketplace_items i WHERE i.product_id IS NULL AND i.option_id IS NULL
     ORDER BY i.first_seen DESC, i.marketplace, i.external_id`,
  );
  return rows.map((r) => ({ marketplace: r.marketplace, externalId: r.external_id, name: r.name, firstSeen: r.first_seen.toISOString(), waiting: r.waiting }));
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

/** Maps a platform's name to a product or an option of ours (audited); a name the platform never sent is a 404. */
export async function mapItem(
  db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string,
  m: { externalId: string; productId: number | null; optionId: number | null },
): Promise<{ marketplace: string; externalId: string; productId: number | null; optionId: number | null }> {
  checkMapper(actor);
  knownPlatform(providers, marketplace);
  return transaction(db, async (tx) => {
    const item = await tx.query<{ product_id: number | null; option_id: number | null; name: string }>(
      'SELECT product_id, option_id, name FROM marketplace_items WHERE marketplace = $1 AND external_id = $2 FOR UPDATE',
      [marketplace, m.externalId],
    );
    if (!item.rows[0]) throw notFound('platform item');
    if (m.productId !== null && !(await tx.query('SELECT 1 FROM products WHERE id = $1', [m.productId])).rowCount) throw invalid({ productId: 'no such product' });
    if (m.optionId !== null && !(await tx.query('SELECT 1 FROM product_options WHERE id = $1', [m.optionId])).rowCount) throw invalid({ optionId: 'no such option' });
    await tx.query(
      `UPDATE marketplace_items SET product_id = $3, option_id = $4, mapped_at = now(), mapped_by = $5 WHERE marketplace = $1 AND external_id = $2`,
      [marketplace, m.externalId, m.productId, m.optionId, `${actor.name} (${actor.role})`],
    );
    const was = item.rows[0];
    await audit(tx, actor, {
      action: 'marketplace.map', entity: 'marketplace_item', entityId: `${marketplace}:${m.externalId}`, pizzeriaId: null,
      before: { name: was.name, productId: was.product_id, optionId: was.option_id }, after: { name: was.name, productId: m.productId, optionId: m.optionId },
    });
    return { marketplace, externalId: m.externalId, productId: m.productId, optionId: m.optionId };
  });
}
