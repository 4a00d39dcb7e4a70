// A regular's allergies remembered on their account, to fill in the allergy note of their next
// orders. Health data (RGPD art. 9): kept only with their explicit consent (the ticked sentence, on
// their account page or at checkout), with when it was given; erased at once when they erase them
// or withdraw it, and with their account (customer_allergies … ON DELETE CASCADE, db/migrations/0089).
// Nothing of them goes to the audit log or the logs: a change is not worth a trace of someone's health.
import { sortAllergens, type Allergen } from '../../domain/line-allergens.ts';
import type { Queryable } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { placingStep } from '../orders/steps.ts';

export interface RememberedAllergies {
  allergens: Allergen[];
  note: string | null;
  /** When they last gave their consent to keep them. */
  consentedAt: string;
}

export interface AllergiesToRemember {
  allergens: readonly string[];
  note?: string | null;
  /** They ticked "J'accepte qu'OC Pizza conserve mes allergies…": nothing is kept without it. */
  consent: boolean;
}

type Row = { allergens: string[]; note: string | null; consented_at: Date };
const view = (r: Row): RememberedAllergies => ({ allergens: sortAllergens(r.allergens), note: r.note, consentedAt: new Date(r.consented_at).toISOString() });

/** Their remembered allergies (null: none kept). */
export async function allergiesOf(q: Queryable, customerId: string): Promise<RememberedAllergies | null> {
  const { rows } = await q.query<Row>('SELECT allergens, note, consented_at FROM customer_allergies WHERE customer_id = $1', [customerId]);
  return rows[0] ? view(rows[0]) : null;
}

/**
 * Keeps their allergies, with their consent given now (422 consent_required without it: nothing
 * kept, and what was kept stays as it was). Nothing declared is nothing to keep: erased.
 */
export async function rememberAllergies(q: Queryable, customerId: string, a: AllergiesToRemember): Promise<RememberedAllergies | null> {
  if (a.consent !== true) {
    throw new AppError(422, 'consent_required', 'your allergies are health data: tick that you agree to OC Pizza keeping them, or they are not kept');
  }
  const allergens = sortAllergens(a.allergens);
  const note = a.note?.trim() || null;
  if (!allergens.length && !note) {
    await forgetAllergies(q, customerId);
    return null;
  }
  const { rows } = await q.query<Row>(
    `INSERT INTO customer_allergies (customer_id, allergens, note, consented_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (customer_id) DO UPDATE SET allergens = EXCLUDED.allergens, note = EXCLUDED.note, consented_at = now(), updated_at = now()
     RETURNING allergens, note, consented_at`,
    [customerId, allergens, note],
  );
  return view(rows[0]);
}

/** Erases them at once (they asked, or withdrew their consent). Whether there were any. */
export async function forgetAllergies(q: Queryable, customerId: string): Promise<boolean> {
  const { rowCount } = await q.query('DELETE FROM customer_allergies WHERE customer_id = $1', [customerId]);
  return (rowCount ?? 0) > 0;
}

/** Two accounts joined (join.ts): the kept one takes the other's allergies when it has none of its own. */
export async function moveAllergies(q: Queryable, keptId: string, goneId: string): Promise<void> {
  await q.query(
    `INSERT INTO customer_allergies (customer_id, allergens, note, consented_at, updated_at)
     SELECT $1, allergens, note, consented_at, updated_at FROM customer_allergies WHERE customer_id = $2
     ON CONFLICT (customer_id) DO NOTHING`,
    [keptId, goneId],
  );
}

/**
 * At checkout, a signed-in customer who declared an allergy ticked "remember for next time" (the
 * same consent): the order's note is kept on their account as it was placed. A guest has no account
 * to keep it on: the tick is ignored.
 */
export const rememberAtCheckout = placingStep<never>({
  async record(tx, { input, opts }) {
    const a = input.allergy;
    if (!a?.remember || !opts.customerId || (!a.allergens.length && !a.note)) return;
    await rememberAllergies(tx, opts.customerId, { allergens: a.allergens, note: a.note ?? null, consent: true });
  },
});
