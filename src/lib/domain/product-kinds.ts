// What a shop sells: each product is one of these kinds (the database's product_category enum,
// db/migrations/0001; the menu's sections are categories of their own, kept by head office).
export const PRODUCT_KINDS = ['pizza', 'drink', 'dessert'] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];
