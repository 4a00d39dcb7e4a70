// Our menu in the shape of Deliveroo's Menu API upload (PUT /menu/v1/brands/{brand_id}/menus/{id}:
// name, menu {categories, items, modifiers, mealtimes}, site_ids).
import type { MarketplaceMenu } from './provider.ts';

type Text = Record<string, string>;

export interface DeliverooMenuUpload {
  name: string;
  menu: {
    categories: { id: string; name: Text; description: Text; item_ids: string[] }[];
    items: {
      id: string;
      name: Text;
      description: Text;
      plu: string;
      type: 'ITEM' | 'CHOICE';
      price_info: { price: number };
      image?: { url: string };
      allergies: string[];
      diets: string[];
      modifier_ids: string[];
      contains_alcohol: boolean;
    }[];
    modifiers: { id: string; name: Text; description: Text; item_ids: string[]; min_selection: number; max_selection: number; repeatable: boolean }[];
    mealtimes: { id: string; name: Text; description: Text; category_ids: string[]; schedule: { day_of_week: number; time_periods: { start: string; end: string }[] }[] }[];
  };
  site_ids: string[];
}

/** A text in the menu's language (the chain's menus are written in one language: Deliveroo shows it as given). */
const text = (value: string): Text => ({ en: value });

/**
 * The upload for one site. Our ids are Deliveroo's item ids and PLUs (`p<id>` a product, `o<id>` an
 * option), so an order names them back in `pos_item_id`. Options are items of type CHOICE grouped
 * in modifiers. Allergens go as we name them, an option's with it (a nut pesto extra: nuts).
 * `contains_alcohol` marks an age-restricted item: Deliveroo checks the customer's ID at the door
 * (api-docs.deliveroo.com/docs/menu-api-guidelines, "Age restrictions"). The shop's hours become one
 * mealtime over every category (Deliveroo's `day_of_week` counts from 0 = Monday).
 */
export function deliverooMenuUpload(storeId: string, menu: MarketplaceMenu): DeliverooMenuUpload {
  const products = menu.products.map((p) => ({
    id: p.id,
    name: text(p.name),
    description: text(p.description),
    plu: p.id,
    type: 'ITEM' as const,
    price_info: { price: p.priceCents },
    ...(p.photoUrl ? { image: { url: p.photoUrl } } : {}),
    allergies: p.allergens,
    diets: [],
    modifier_ids: p.optionGroupIds,
    contains_alcohol: p.alcohol,
  }));
  const choices = menu.optionGroups.flatMap((g) =>
    g.options.map((o) => ({
      id: o.id, name: text(o.name), description: text(''), plu: o.id, type: 'CHOICE' as const,
      price_info: { price: o.priceCents }, allergies: o.allergens, diets: [], modifier_ids: [], contains_alcohol: false,
    })),
  );
  const days = new Map<number, { start: string; end: string }[]>();
  for (const h of menu.hours) days.set(h.day - 1, [...(days.get(h.day - 1) ?? []), { start: h.opens, end: h.closes }]);
  return {
    name: `Site ${storeId}`,
    menu: {
      categories: menu.categories.map((c) => ({ id: c.id, name: text(c.name), description: text(''), item_ids: c.productIds })),
      // an option shared by two groups is one item
      items: [...products, ...choices.filter((c, i) => choices.findIndex((d) => d.id === c.id) === i)],
      modifiers: menu.optionGroups.map((g) => ({
        id: g.id, name: text(g.name), description: text(''), item_ids: g.options.map((o) => o.id),
        min_selection: g.min, max_selection: g.max, repeatable: false,
      })),
      mealtimes: [{
        id: 'opening-hours',
        name: text('Menu'),
        description: text(''),
        category_ids: menu.categories.map((c) => c.id),
        schedule: [...days].sort(([a], [b]) => a - b).map(([day, periods]) => ({ day_of_week: day, time_periods: periods })),
      }],
    },
    site_ids: [storeId],
  };
}

/** Everything Deliveroo holds unavailable after a menu push: the sold-out products and options. */
export function unavailableIds(menu: MarketplaceMenu): string[] {
  const ids = [...menu.products.filter((p) => !p.available).map((p) => p.id), ...menu.optionGroups.flatMap((g) => g.options.filter((o) => !o.available).map((o) => o.id))];
  return [...new Set(ids)];
}
