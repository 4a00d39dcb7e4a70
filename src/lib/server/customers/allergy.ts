// An order's allergy note (EU Regulation 1169/2011: allergen information before ordering and at
// delivery): placing keeps it on the order, and refuses a basket line that contains an allergen
// the customer declared unless they confirmed it (the storefront asks first; this is the check
// that holds whatever the page). The kitchen's "Allergie lue" tap is here too.
import { declaredIn, sortAllergens } from '../../domain/line-allergens.ts';
import { can, may } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { getOrder, lockOrder } from '../orders/read.ts';
import { recordEvent, type Publishing } from '../orders/record.ts';
import { placingStep } from '../orders/steps.ts';

/** A basket line that contains a declared allergen: which line (its place in the request's lines) and which allergens. */
export interface AllergenHit {
  line: number;
  productId: number;
  name: string;
  allergens: string[];
}

/**
 * The allergy note of the order being placed: a declared allergen in a line is refused (422
 * allergen_in_basket, naming the lines) unless confirmed; once the order is written, the note is
 * kept on it.
 */
export const allergyStep = placingStep<never>({
  async judge(tx, { input, prepared }) {
    const declared = input.allergy?.allergens ?? [];
    if (!declared.length || input.allergy?.confirmed) return null;
    const lines = prepared.check.priced.lines;
    const ids = [...new Set(lines.flatMap((l) => l.recipe.map((r) => r.ingredientId)))];
    const { rows } = await tx.query<{ id: number; allergens: string[] }>('SELECT id, allergens FROM ingredients WHERE id = ANY($1::int[])', [ids]);
    const of = new Map(rows.map((r) => [r.id, r.allergens]));
    const hits: AllergenHit[] = lines.flatMap((l, line) => {
      const found = declaredIn(l.recipe.flatMap((r) => of.get(r.ingredientId) ?? []), declared);
      return found.length ? [{ line, productId: l.productId, name: l.name, allergens: found }] : [];
    });
    if (hits.length) {
      const named = hits.map((h) => `${h.name} (${h.allergens.join(', ')})`).join('; ');
      throw new AppError(422, 'allergen_in_basket', `these lines contain an allergen you declared: ${named}; confirm to order them anyway`, { items: hits });
    }
    return null;
  },
  async record(tx, { input }, placed) {
    const a = input.allergy;
    if (!a || (!a.allergens.length && !a.note)) return;
    // the shop's setting as it stands: does the kitchen read it before starting?
    await tx.query(
      `UPDATE orders o SET allergy_allergens = $2, allergy_note = $3, allergy_read_first = p.allergy_read_first, version = o.version + 1
         FROM pizzerias p WHERE o.id = $1 AND p.id = o.pizzeria_id`,
      [placed.id, sortAllergens(a.allergens), a.note ?? null],
    );
  },
});

/** The kitchen read the allergy note ("Allergie lue"): noted once, with who; the screens are told. */
export async function readAllergy(db: Db, actor: StaffActor, orderId: string, publishing: Publishing = {}): Promise<{ order: OrderView; changed: boolean }> {
  if (!may(actor.role, can.cook)) throw forbidden('the kitchen reads an allergy note');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw notFound('order');
    const { rows } = await tx.query<{ has: boolean; read: boolean }>(
      `SELECT (allergy_allergens <> '{}' OR allergy_note IS NOT NULL) AS has, allergy_read_at IS NOT NULL AS read FROM orders WHERE id = $1`, [orderId],
    );
    if (!rows[0]?.has) throw conflict('no_allergy', `order ${o.number} has no allergy note`);
    if (rows[0].read) return { order: (await getOrder(tx, orderId))!, changed: false };
    await tx.query('UPDATE orders SET allergy_read_at = now(), allergy_read_by = $2, version = version + 1 WHERE id = $1', [orderId, actor.id]);
    return { ...(await recordEvent(tx, orderId, 'order.allergy_read', actor, publishing)), changed: true };
  });
}
