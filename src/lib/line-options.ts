// A line of a basket or an order is a product with the options chosen on it: two Margheritas, one
// large and one without basil, are two lines. Shared by the storefront, the tracking page and the
// kitchen.
import type { Locale } from './i18n/core.ts';
import type { OrderItemView } from './realtime/contract.ts';

/** The same product with the same options (in any order) is the same line. */
export function lineKey(productId: number, optionIds: readonly number[] = []): string {
  return `${productId}:${[...new Set(optionIds)].sort((a, b) => a - b).join(',')}`;
}

/** "Grande, Supplément mozzarella, Sans oignons": the options of a line as the reader reads them. */
export function optionsLabel(options: readonly { name: string; nameEn?: string | null }[], locale: Locale = 'fr'): string {
  return options.map((o) => (locale === 'en' && o.nameEn ? o.nameEn : o.name)).join(', ');
}

/** An order's line named with its options: "Margherita (Grande, Sans basilic)". */
export function lineName(item: Pick<OrderItemView, 'name' | 'options'>, locale: Locale = 'fr'): string {
  return item.options?.length ? `${item.name} (${optionsLabel(item.options, locale)})` : item.name;
}
