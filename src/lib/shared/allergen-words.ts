// Allergens as a customer reads them: "gluten (blé), lait, fruits à coque (noisettes)", each group
// followed by the kinds named for it (domain/allergen-kinds.ts), the group alone when none is.
import { allergensWithKinds } from '../domain/allergen-kinds.ts';
import type { TFunction } from 'i18next';

/** One allergen's words: "gluten (blé, seigle)" or "lait". */
export function allergenWords(t: TFunction, allergen: string, kinds: readonly string[] = []): string {
  const group = t(`allergens.${allergen}`);
  return kinds.length ? t('allergyNote.withKinds', { allergen: group, kinds: kinds.map((k) => t(`allergenKinds.${k}`)).join(', ') }) : group;
}

/** A list's words, in annex II's order, each group with its kinds. */
export const allergenList = (t: TFunction, allergens: readonly string[], kinds: readonly string[] = []): string =>
  allergensWithKinds(allergens, kinds).map((a) => allergenWords(t, a.allergen, a.kinds)).join(', ');
