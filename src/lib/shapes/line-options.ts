// A line of a basket or an order is a product with the options chosen on it: two Margheritas, one
// large and one without basil, are two lines. Shared by the storefront, the tracking page and the
// kitchen.
import type { Locale } from '../i18n/core.ts';
import type { OrderItemView } from './views.ts';

/** The same product with the same options (in any order) is the same line; a half-and-half is its two halves. */
export function lineKey(productId: number, optionIds: readonly number[] = [], secondHalfId?: number): string {
  return `${productId}${secondHalfId !== undefined ? `/${secondHalfId}` : ''}:${[...new Set(optionIds)].sort((a, b) => a - b).join(',')}`;
}

type Halves = NonNullable<OrderItemView['halves']>;
const halfName = (h: Halves['left'], locale: Locale) => (locale === 'en' && h.nameEn ? h.nameEn : h.name);

/** "½ Reine / ½ Margherita": a half-and-half pizza, left half first. */
export function halvesLabel(halves: Halves, locale: Locale = 'fr'): string {
  return `½ ${halfName(halves.left, locale)} / ½ ${halfName(halves.right, locale)}`;
}

/** "Grande, Supplément mozzarella, Sans oignons": the options of a line as the reader reads them. */
export function optionsLabel(options: readonly { name: string; nameEn?: string | null }[], locale: Locale = 'fr'): string {
  return options.map((o) => (locale === 'en' && o.nameEn ? o.nameEn : o.name)).join(', ');
}

/** An order's line named with its options: "Margherita (Grande, Sans basilic)". */
export function lineName(item: Pick<OrderItemView, 'name' | 'options' | 'halves'>, locale: Locale = 'fr'): string {
  const name = item.halves ? halvesLabel(item.halves, locale) : item.name;
  return item.options?.length ? `${name} (${optionsLabel(item.options, locale)})` : name;
}
