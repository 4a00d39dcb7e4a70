// A shop's menu as a platform's store shows it: our names, descriptions, photos, options and
// allergens (an option's too), alcohol and VAT rates (the delivered one: a platform's customer has it brought), at the platform's prices (a product's own price there, else ours plus the store's
// markup), what is on sale now, and the shop's hours. Ids are ours (p12, o34), so an order that
// names them maps without a row.
import { menuId, platformPrice } from '../../domain/marketplaces.ts';
import type { VatRates } from '../../domain/vat.ts';
import type { Weekday } from '../../domain/opening-hours.ts';
import { getMenu, getPizzeria, listCategories } from '../shops/catalogue.ts';
import type { Queryable } from '../kernel/db.ts';
import type { MarketplaceMenu } from './provider.ts';

/**
 * An alcoholic drink, which the platforms must know to check the customer's age: the catalogue
 * names none as such, but French VAT does: a drink is taxed at 20 % only when it holds alcohol
 * (10 % or 5.5 % for soft drinks, migration 0104), so a drink at 20 % delivered is one.
 */
export const isAlcoholic = (p: { category: string; vatRates: VatRates }) => p.category === 'drink' && p.vatRates.delivery === 20;

/** The shop's menu for a store (its markup) on a platform (its products' own prices), photos at `origin`. */
export async function menuFor(q: Queryable, pizzeriaId: number, store: { marketplace: string; price_markup_pct: string | number }, origin: string): Promise<MarketplaceMenu> {
  const [menu, categories, shop, own] = await Promise.all([
    getMenu(q, pizzeriaId),
    listCategories(q),
    getPizzeria(q, pizzeriaId),
    q.query<{ product_id: number; price_cents: number }>('SELECT product_id, price_cents FROM marketplace_prices WHERE marketplace = $1', [store.marketplace]),
  ]);
  const ownPrice = new Map(own.rows.map((r) => [r.product_id, r.price_cents]));
  const markup = Number(store.price_markup_pct);
  const groups: MarketplaceMenu['optionGroups'] = [];
  const products = menu.map((p) => {
    const kinds = [...new Set(p.options.map((o) => o.kind))];
    const ids = kinds.map((kind) => {
      const options = p.options.filter((o) => o.kind === kind);
      const id = `g${p.id}-${kind}`;
      groups.push({
        id, name: kind, min: 0, max: kind === 'size' ? 1 : options.length,
        options: options.map((o) => ({
          id: menuId.option(o.id), name: o.name, priceCents: platformPrice(o.priceCents, markup, null), allergens: o.allergens ?? [], vatRate: p.vatRates.delivery, available: o.available,
        })),
      });
      return id;
    });
    return {
      id: menuId.product(p.id), name: p.name, description: p.description, priceCents: platformPrice(p.priceCents, markup, ownPrice.get(p.id) ?? null),
      photoUrl: p.photoUrl ? new URL(p.photoUrl, origin).toString() : null, allergens: p.allergens, alcohol: isAlcoholic(p), vatRate: p.vatRates.delivery,
      available: p.available, optionGroupIds: ids,
    };
  });
  const byCategory = categories.map((c) => ({ id: `c${c.id}`, name: c.name, productIds: menu.filter((p) => p.categoryId === c.id).map((p) => menuId.product(p.id)) }));
  const week = shop?.openingHours?.week ?? {};
  const hours = (Object.entries(week) as [string, [string, string][]][]).flatMap(([day, spans]) =>
    spans.map(([opens, closes]) => ({ day: Number(day) as Weekday, opens, closes })),
  );
  return { categories: byCategory.filter((c) => c.productIds.length), products, optionGroups: groups, hours };
}

/** What is on sale now, item by item, by our ids: products and their options. */
export function availabilityOf(menu: MarketplaceMenu): Map<string, boolean> {
  const items = new Map<string, boolean>();
  for (const p of menu.products) items.set(p.id, p.available);
  for (const g of menu.optionGroups) for (const o of g.options) items.set(o.id, o.available);
  return items;
}
