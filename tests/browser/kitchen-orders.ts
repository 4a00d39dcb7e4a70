// What the kitchen's browser tests share: the demo menu's products and options by their names (for
// orders of the realistic shape), and the layout shifts of a page added up from its first paint.
import type pg from 'pg';
import type { Page } from 'playwright-core';

/** A product's id by its slug, and an option's by its product and name, read once each (`pool`: the file's, once it has started). */
export function menuIds(pool: () => pg.Pool) {
  const products = new Map<string, number>();
  return {
    async productId(slug: string): Promise<number> {
      if (!products.has(slug)) products.set(slug, (await pool().query('SELECT id FROM products WHERE slug = $1', [slug])).rows[0].id);
      return products.get(slug)!;
    },
    optionId: async (slug: string, name: string): Promise<number> =>
      (await pool().query('SELECT o.id FROM product_options o JOIN products p ON p.id = o.product_id WHERE p.slug = $1 AND o.name = $2', [slug, name])).rows[0].id,
  };
}

/** Layout shifts not caused by a tap, added up from the first paint (the Layout Instability API): call before the page loads. */
export const watchShifts = (page: Page) =>
  page.addInitScript(() => {
    const w = window as unknown as { cls: number };
    w.cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[]) if (!e.hadRecentInput) w.cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });

/** What `watchShifts` added up so far. */
export const shifted = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { cls: number }).cls);
