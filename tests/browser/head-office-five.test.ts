// Head office's live board shows the chain it runs: the five shops of the demo chain, whatever
// other test files do beside this one (tests/services/three-hundred-shops.test.ts opens 300 shops
// in its own database), and it opens at once on a desktop.
import { describe, expect, it } from 'vitest';
import { DESKTOP, SHOTS, live, useApp } from './harness.ts';

const app = useApp('head-office-five');

describe("head office's board", () => {
  it('lists the five shops of the chain, no more', async () => {
    const { page } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await page.goto(`${app.base}/manager`);
    await live(page);
    const cards = page.locator('button.shop[data-shop]');
    expect(await cards.count()).toBe(5);
    expect((await cards.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.shop))).sort()).toEqual(
      ['bastille', 'batignolles', 'canal', 'montmartre', 'montparnasse'],
    );
    await page.screenshot({ path: `${SHOTS}/head-office-five-desktop.png` });
  });
});
