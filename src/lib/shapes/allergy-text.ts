// An order's declared allergies in one line, as the customer's receipt says them (its page, its
// PDF): "Allergies déclarées : lait, fruits à coque — allergie sévère". Informative, never a sale line.
import type { I18n } from '../i18n/core.ts';

export interface DeclaredAllergy {
  allergens: readonly string[];
  note: string | null;
}

/** "Allergies déclarées : lait, fruits à coque — <note>" in the reader's language. */
export function declaredAllergiesText(t: I18n['t'], a: DeclaredAllergy): string {
  const list = a.allergens.map((x) => t(`allergens.${x}`)).join(', ');
  return t('allergyKept.receiptLine', { what: [list, a.note].filter(Boolean).join(' — ') });
}
