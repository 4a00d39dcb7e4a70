import { freeStock, lineRecipe, portionsAvailable, type OptionEffect, type RecipeLine, type StockLevel } from '../../domain/availability.ts';
import type { HalfAndHalfPricing, OptionKind } from '../../domain/pricing.ts';
import type { VatRates } from '../../domain/vat.ts';
import type { DeliveryZone } from '../../domain/geo.ts';
import type { OpeningHours } from '../../domain/opening-hours.ts';
import type { MenuAvailability } from '../../shapes/views.ts';
import type { Locale } from '../../i18n/index.ts';
import type { Queryable } from '../kernel/db.ts';
import type { ProductKind } from '../../domain/product-kinds.ts';
import { sortKinds } from '../../domain/allergen-kinds.ts';

// The catalogue is written in French; its English text (products.name_en, description_en, steps_en,
// ingredients.name_en) is optional, and whatever is missing is shown in French.
const inLocale = (locale: Locale, fr: string, en: string | null): string => (locale === 'en' && en ? en : fr);

export interface Pizzeria {
  id: number;
  slug: string;
  name: string;
  address: string;
  lat: number;
  lng: number;
  phone: string | null;
  /** Where it delivers: a radius around its door, or the polygon a manager drew. */
  zone: DeliveryZone;
  /** When it is open; null: at any hour. */
  openingHours: OpeningHours | null;
  /** Online orders paused by the shop (a rush): the storefront says so and takes none. */
  onlinePaused: boolean;
  /** Its own target preparation time; null: the chain's (PREP_TARGET_SECONDS). */
  prepTargetSeconds: number | null;
  /** Its targets from the kitchen to started and from ready to handed over; null: the chain's. */
  startTargetSeconds: number | null;
  handoverTargetSeconds: number | null;
  /** Oven minutes its kitchen makes per 15-minute slot (src/lib/domain/slots.ts): orders for later fill them. */
  ovenMinutesPerSlot: number;
  /** Minutes its manager adds to every new promise in a rush (the live page's lever: 0, 10 or 20). */
  busyMinutes: number;
  /** How it prices a half-and-half pizza: as its dearer half, or the average of its halves. */
  halfAndHalfPricing: HalfAndHalfPricing;
  /** The kitchen taps "Allergie lue" on an order's allergy note before starting it. */
  allergyReadFirst: boolean;
  /** What it says of cross-contact, as head office worded it for the shop; null: the chain's words (allergyNote.crossContact). */
  crossContact: { fr: string | null; en: string | null };
  /**
   * A training shop (mode formation, migration 0094): its staff train on it; what it sells is no
   * sale (its tickets say FACTICE, the journal and the totals never count it); customers never see it.
   */
  training: boolean;
}

/** What the live page of a shop's manager or of head office shows of each shop: its card, its place on the map, its rush levers. */
export type ShopOnBoard = Pick<Pizzeria, 'id' | 'slug' | 'name' | 'lat' | 'lng' | 'zone' | 'onlinePaused' | 'busyMinutes'>;

export const shopOnBoard = ({ id, slug, name, lat, lng, zone, onlinePaused, busyMinutes }: Pizzeria): ShopOnBoard => ({ id, slug, name, lat, lng, zone, onlinePaused, busyMinutes });

/** A shop's columns as a Pizzeria (`WHERE …` may follow). */
export const PIZZERIA_SELECT = `SELECT id, slug, name, address, lat, lng, phone, opening_hours AS "openingHours",
  online_paused AS "onlinePaused", prep_target_seconds AS "prepTargetSeconds",
  start_target_seconds AS "startTargetSeconds", handover_target_seconds AS "handoverTargetSeconds",
  oven_minutes_per_slot AS "ovenMinutesPerSlot", busy_minutes AS "busyMinutes", half_and_half_pricing AS "halfAndHalfPricing",
  allergy_read_first AS "allergyReadFirst", training,
  jsonb_build_object('fr', cross_contact_fr, 'en', cross_contact_en) AS "crossContact",
  CASE WHEN delivery_polygon IS NOT NULL THEN jsonb_build_object('kind', 'polygon', 'points', delivery_polygon)
       ELSE jsonb_build_object('kind', 'radius', 'center', jsonb_build_object('lat', lat, 'lng', lng), 'radiusM', delivery_radius_m) END AS zone
  FROM pizzerias`;

export async function listPizzerias(q: Queryable): Promise<Pizzeria[]> {
  const { rows } = await q.query<Pizzeria>({ name: 'list-pizzerias', text: `${PIZZERIA_SELECT} ORDER BY id` });
  return rows;
}

export async function getPizzeria(q: Queryable, id: number): Promise<Pizzeria | null> {
  const { rows } = await q.query<Pizzeria>({ name: 'get-pizzeria', text: `${PIZZERIA_SELECT} WHERE id = $1`, values: [id] });
  return rows[0] ?? null;
}

/** A section of the menu: the storefront shows them as tabs, in this order. */
export interface MenuCategory {
  id: number;
  slug: string;
  name: string;
}

export async function listCategories(q: Queryable, locale: Locale = 'fr'): Promise<MenuCategory[]> {
  const { rows } = await q.query({ name: 'list-categories', text: 'SELECT id, slug, name, name_en FROM categories ORDER BY position, id' });
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: inLocale(locale, r.name, r.name_en) }));
}

/** What a customer may choose on a product, and whether the shop can make it now. */
export interface MenuOption {
  id: number;
  kind: OptionKind;
  name: string;
  /** Added to the product's price. */
  priceCents: number;
  available: boolean;
  /** The ingredient a "without" leaves out. */
  removesIngredientId?: number | null;
  /** The EU allergens of the ingredients it adds (a nut pesto: nuts). */
  allergens?: string[];
  /** The cereals and tree nuts among them, named (walnuts). */
  kinds?: string[];
}

export interface MenuProduct {
  id: number;
  slug: string;
  name: string;
  description: string;
  /** What the kitchen goes by (pizzas go in the oven). */
  category: ProductKind;
  /** Its section of the menu (a storefront tab). */
  categoryId: number;
  priceCents: number;
  available: boolean;
  /** How many more the shop can make now; null when unlimited. */
  portions: number | null;
  ingredients: string[];
  /** The EU allergens its recipe contains. */
  allergens: string[];
  /** The cereals and tree nuts its recipe contains, named (annex II: wheat, hazelnuts); none named: the group alone. */
  allergenKinds?: string[];
  /** Its recipe's ingredients that contain allergens, each with them and their kinds: a line's follow from them and its options (domain/line-allergens.ts, allergen-kinds.ts). */
  allergenRecipe: { ingredientId: number; allergens: string[]; kinds?: string[] }[];
  /** Dietary tags: vegetarian, spicy. */
  tags: string[];
  /** Its VAT rate (%) taken away and delivered, as the accountant set them (migration 0104). */
  vatRates: VatRates;
  /** Its photo (/media/…), or null. */
  photoUrl: string | null;
  /** Taken off this shop's menu for the evening by its manager. */
  offTonight: boolean;
  /** Sizes, extras and ingredients that can be left out, in the order head office set. */
  options: MenuOption[];
}

/**
 * The shop's menu with availability computed from its live stock less what orders have reserved,
 * in the visitor's language.
 */
export async function getMenu(q: Queryable, pizzeriaId: number, locale: Locale = 'fr'): Promise<MenuProduct[]> {
  const [products, stock] = await Promise.all([
    q.query(
      `SELECT p.id, p.slug, p.name, p.name_en, p.description, p.description_en, p.category, p.category_id, p.price_cents, p.tags, p.vat_rate_pickup, p.vat_rate_delivery, p.photo,
         COALESCE((SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind, 'name', o.name, 'nameEn', o.name_en,
                     'priceCents', o.price_cents, 'removesIngredientId', o.removes_ingredient_id,
                     'allergens', ARRAY(SELECT DISTINCT a FROM option_ingredients oi JOIN ingredients i ON i.id = oi.ingredient_id, unnest(i.allergens) a
                                        WHERE oi.option_id = o.id ORDER BY a),
                     'kinds', ARRAY(SELECT DISTINCT k FROM option_ingredients oi JOIN ingredients i ON i.id = oi.ingredient_id, unnest(i.allergen_kinds) k
                                    WHERE oi.option_id = o.id ORDER BY k),
                     'ingredients', COALESCE((SELECT json_agg(json_build_object('ingredientId', oi.ingredient_id, 'quantity', oi.quantity))
                                              FROM option_ingredients oi WHERE oi.option_id = o.id), '[]')) ORDER BY o.kind, o.position, o.id)
                   FROM product_options o WHERE o.product_id = p.id), '[]') AS options,
         COALESCE((SELECT json_agg(json_build_object('ingredientId', r.ingredient_id, 'quantity', r.quantity, 'name', i.name, 'nameEn', i.name_en, 'allergens', i.allergens, 'kinds', i.allergen_kinds) ORDER BY i.id)
                   FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id WHERE r.product_id = p.id), '[]') AS recipe,
         ARRAY(SELECT DISTINCT a FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id, unnest(i.allergens) a
               WHERE r.product_id = p.id ORDER BY a) AS allergens,
         EXISTS (SELECT 1 FROM product_unavailable u WHERE u.pizzeria_id = $1 AND u.product_id = p.id
                   AND u.business_day = (now() AT TIME ZONE 'Europe/Paris')::date) AS off_tonight
       FROM products p JOIN categories c ON c.id = p.category_id WHERE p.active ORDER BY c.position, c.id, p.sort_order, p.id`,
      [pizzeriaId],
    ),
    q.query('SELECT ingredient_id, on_hand, reserved FROM stock WHERE pizzeria_id = $1', [pizzeriaId]),
  ]);
  const free = freeStock(
    new Map<number, StockLevel>(stock.rows.map((s) => [s.ingredient_id, { ingredientId: s.ingredient_id, onHand: s.on_hand, reserved: s.reserved }])),
  );
  return products.rows.map((p) => {
    const recipe = p.recipe as (RecipeLine & { name: string; nameEn: string | null; allergens: string[]; kinds: string[] })[];
    const portions = p.off_tonight ? 0 : portionsAvailable(recipe, free);
    return {
      id: p.id,
      slug: p.slug,
      name: inLocale(locale, p.name, p.name_en),
      description: inLocale(locale, p.description, p.description_en),
      category: p.category,
      categoryId: p.category_id,
      priceCents: p.price_cents,
      available: portions > 0,
      portions: Number.isFinite(portions) ? portions : null,
      ingredients: p.category === 'pizza' ? recipe.map((r) => inLocale(locale, r.name, r.nameEn)) : [],
      allergens: p.allergens,
      allergenKinds: sortKinds(recipe.flatMap((r) => r.kinds)),
      allergenRecipe: recipe.filter((r) => r.allergens.length).map((r) => ({ ingredientId: r.ingredientId, allergens: r.allergens, kinds: r.kinds })),
      tags: p.tags,
      vatRates: { pickup: Number(p.vat_rate_pickup), delivery: Number(p.vat_rate_delivery) },
      photoUrl: p.photo ? `/media/${p.photo}` : null,
      offTonight: p.off_tonight,
      options: (p.options as (OptionEffect & { id: number; kind: OptionKind; name: string; nameEn: string | null; priceCents: number; allergens: string[]; kinds: string[] })[]).map((o) => ({
        id: o.id,
        kind: o.kind,
        name: inLocale(locale, o.name, o.nameEn),
        priceCents: o.priceCents,
        removesIngredientId: o.removesIngredientId,
        allergens: o.allergens,
        kinds: o.kinds,
        // an option can be chosen while the shop can make the product with it
        available: portions > 0 && portionsAvailable(lineRecipe(recipe, [o]), free) > 0,
      })),
    };
  });
}

/** What a page that takes orders loads: the shop's menu, its tabs, and the revision they are at. */
export async function getOrderingMenu(q: Queryable, pizzeriaId: number, locale: Locale): Promise<{ menu: MenuProduct[]; categories: MenuCategory[]; revision: number }> {
  // the revision first: a change landing meanwhile makes the page read the menu again, never miss it
  const revision = await getMenuRevision(q);
  const [menu, categories] = await Promise.all([getMenu(q, pizzeriaId, locale), listCategories(q, locale)]);
  return { menu, categories, revision };
}

/** The menu's revision: it goes up with every change head office makes to it. */
export async function getMenuRevision(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>({ name: 'menu-revision', text: 'SELECT n FROM menu_revision' });
  return Number(rows[0]?.n ?? 0);
}

export async function getMenuAvailability(q: Queryable, pizzeriaId: number): Promise<MenuAvailability> {
  const [menu, revision] = await Promise.all([getMenu(q, pizzeriaId), getMenuRevision(q)]);
  return {
    pizzeriaId,
    revision,
    products: menu.map((p) => ({
      id: p.id,
      available: p.available,
      portions: p.portions,
      // a product that cannot be made says so; its options need not be listed
      unavailableOptions: p.available ? p.options.filter((o) => !o.available).map((o) => o.id) : [],
    })),
  };
}

/** An ingredient of a recipe, named in the reader's language. */
export interface RecipeIngredient {
  ingredientId: number;
  name: string;
  quantity: number;
  unit: string;
}

export interface RecipeCard {
  productId: number;
  name: string;
  steps: string[];
  ingredients: RecipeIngredient[];
  /** What each option of the product does to the recipe (a size or an extra adds, a "without" leaves one out). */
  options: { id: number; removesIngredientId: number | null; ingredients: RecipeIngredient[] }[];
}

type NamedIngredient = RecipeIngredient & { nameEn: string | null };
const named = (locale: Locale, list: NamedIngredient[]): RecipeIngredient[] =>
  list.map((i) => ({ ingredientId: i.ingredientId, name: inLocale(locale, i.name, i.nameEn), quantity: i.quantity, unit: i.unit }));

/** Recipe reminders for the kitchen screen, in the reader's language, with what each option changes. */
export async function listRecipes(q: Queryable, locale: Locale = 'fr'): Promise<RecipeCard[]> {
  const INGREDIENT = `json_build_object('ingredientId', i.id, 'name', i.name, 'nameEn', i.name_en, 'quantity', x.quantity, 'unit', i.unit)`;
  const { rows } = await q.query(
    `SELECT p.id, p.name, p.name_en, p.steps, p.steps_en,
       COALESCE((SELECT json_agg(${INGREDIENT} ORDER BY x.quantity DESC)
                 FROM recipe_ingredients x JOIN ingredients i ON i.id = x.ingredient_id WHERE x.product_id = p.id), '[]') AS ingredients,
       COALESCE((SELECT json_agg(json_build_object('id', o.id, 'removesIngredientId', o.removes_ingredient_id,
                   'ingredients', COALESCE((SELECT json_agg(${INGREDIENT} ORDER BY x.quantity DESC)
                                            FROM option_ingredients x JOIN ingredients i ON i.id = x.ingredient_id WHERE x.option_id = o.id), '[]')) ORDER BY o.id)
                 FROM product_options o WHERE o.product_id = p.id), '[]') AS options
     FROM products p WHERE p.category = 'pizza' ORDER BY p.sort_order, p.id`,
  );
  return rows.map((r) => ({
    productId: r.id,
    name: inLocale(locale, r.name, r.name_en),
    // steps are translated as a whole or not at all
    steps: locale === 'en' && r.steps_en?.length ? r.steps_en : r.steps,
    ingredients: named(locale, r.ingredients),
    options: (r.options as { id: number; removesIngredientId: number | null; ingredients: NamedIngredient[] }[]).map((o) => ({
      id: o.id,
      removesIngredientId: o.removesIngredientId,
      ingredients: named(locale, o.ingredients),
    })),
  }));
}

// shops are few and rarely added: known ids are kept (a shop opened in the back office is added
// the moment Postgres says so: rememberShop), an unknown one is looked up at most every 2 s, and
// callers arriving while a lookup runs wait for it (a burst of storefronts after a start must not
// be told a shop does not exist because the first lookup has not answered yet)
const knownShops: { ids: Set<number>; checkedAt: number; lookup: Promise<void> | null } = { ids: new Set(), checkedAt: 0, lookup: null };
/** A shop just opened (its notification reached this process). */
export function rememberShop(id: number): void {
  knownShops.ids.add(id);
}
/** Whether a pizzeria exists (the hub asks before it opens a menu room for it). */
export async function pizzeriaExists(q: Queryable, id: number): Promise<boolean> {
  if (knownShops.ids.has(id)) return true;
  if (knownShops.lookup) await knownShops.lookup;
  else if (Date.now() - knownShops.checkedAt >= 2000) {
    knownShops.checkedAt = Date.now();
    knownShops.lookup = q
      .query<{ id: number }>('SELECT id FROM pizzerias')
      .then(({ rows }) => void (knownShops.ids = new Set(rows.map((r) => r.id))))
      .finally(() => (knownShops.lookup = null));
    await knownShops.lookup;
  }
  return knownShops.ids.has(id);
}
