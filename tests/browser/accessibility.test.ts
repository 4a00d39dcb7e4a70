import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { DESKTOP, live, PHONE, SHOTS, useApp, TABLET } from './harness.ts';
import { messagesOf } from '../../src/lib/i18n/catalogue.ts';

// Every face of the product, on the screens people use it on, checked by axe-core:
// a serious or critical violation fails the test.
const app = useApp('a11y');

async function placeOrder(pizzeriaId: number, payment: 'online' | 'on_delivery' = 'on_delivery') {
  const { rows } = await app.pool.query(`SELECT id FROM products WHERE slug IN ('margherita', 'tiramisu') ORDER BY id`);
  const res = await fetch(`${app.base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pizzeriaId,
      fulfilment: 'delivery',
      customer: { name: 'Inès Moreau', phone: '0612345678' },
      // a street inside the shop's zone (the geocoder stub knows both)
      address: pizzeriaId === 1 ? { street: '8 rue de Charonne', postcode: '75011', city: 'Paris' } : { street: '3 rue Lepic', postcode: '75018', city: 'Paris' },
      items: rows.map((r) => ({ productId: r.id, quantity: 1 })),
      payment,
    }),
    // a placing that never answers fails here, saying so, rather than as the whole test's timeout
    signal: AbortSignal.timeout(30_000),
  });
  // the demo shop's stock is shared by the whole suite: a refusal says which item ran out
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; trackingToken: string };
}

/** French typography: a no-break space before ! ? ; : so that none of them wraps alone onto a line. */
async function plainSpaceBeforePunctuation(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  return text.match(/.{0,20} [!?;:](?=\s|$)/gm) ?? [];
}

async function checkCustomerPage(page: Page, name: string) {
  expect(await seriousViolations(page), name).toEqual([]);
  expect(await page.locator('meta[name=description]').count(), `${name}: one meta description`).toBe(1);
  expect(await page.locator('meta[name=description]').getAttribute('content'), `${name}: meta description`).toBeTruthy();
  await page.screenshot({ path: `${SHOTS}/a11y-${name}.png`, fullPage: true });
}

describe('every page passes axe-core without a serious violation', () => {
  // the storefront on each screen size is a test of its own: a loaded machine's slow page is timed
  // against one size's pages, not all three
  for (const [size, viewport] of Object.entries({ phone: PHONE, tablet: TABLET, desktop: DESKTOP })) {
    it(`the storefront on a ${size}, in French and in English`, async () => {
      const ctx = await app.browser.newContext({ viewport });
      const page = await ctx.newPage();
      await page.goto(`${app.base}/`);
      await checkCustomerPage(page, `home-${size}`);
      await page.goto(`${app.base}/?shop=bastille`);
      await live(page);
      await checkCustomerPage(page, `storefront-${size}`);
      expect(await plainSpaceBeforePunctuation(page)).toEqual([]);
      await ctx.addCookies([{ name: 'ocp_lang', value: 'en', url: app.base }]);
      await page.reload();
      await live(page);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await checkCustomerPage(page, `storefront-${size}-en`);
      await ctx.close();
    });
  }

  it('the tracking page of a live, a delivered and a cancelled order, and a page that does not exist', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE });
    const page = await ctx.newPage();
    const open = await placeOrder(1);
    await page.goto(`${app.base}/track/${open.trackingToken}`);
    await live(page);
    await checkCustomerPage(page, 'tracking-received');
    expect(await plainSpaceBeforePunctuation(page)).toEqual([]);

    const cancelled = await placeOrder(1);
    expect((await fetch(`${app.base}/api/track/${cancelled.trackingToken}/cancel`, { method: 'POST' })).status).toBe(200);
    await page.goto(`${app.base}/track/${cancelled.trackingToken}`);
    await live(page);
    await checkCustomerPage(page, 'tracking-cancelled');

    await page.goto(`${app.base}/track/no-such-order`);
    expect(await seriousViolations(page), 'unknown order').toEqual([]);
    await page.screenshot({ path: `${SHOTS}/a11y-not-found.png`, fullPage: true });

    const tablet = await (await app.browser.newContext({ viewport: TABLET })).newPage();
    await tablet.goto(`${app.base}/track/${open.trackingToken}`);
    await live(tablet);
    expect(await seriousViolations(tablet), 'tracking on a tablet').toEqual([]);
    await tablet.context().close();
    await ctx.close();
  });

  it('the login page, with and without an error', async () => {
    for (const [size, viewport] of Object.entries({ phone: PHONE, tablet: TABLET })) {
      const ctx = await app.browser.newContext({ viewport });
      const page = await ctx.newPage();
      await page.goto(`${app.base}/login`);
      await checkCustomerPage(page, `login-${size}`);
      await page.fill('input[name=email]', 'nobody@ocpizza.test');
      await page.fill('input[name=password]', 'not the password');
      await page.click('button.btn');
      await page.locator('[role=alert]').waitFor();
      expect(await seriousViolations(page), `login error (${size})`).toEqual([]);
      await ctx.close();
    }
  });

  describe('the staff screens: kitchen, driver, counter, manager and system', () => {
    // a ticket on the kitchen's and the driver's screens, so they are checked with something on them
    beforeAll(async () => {
      await placeOrder(2);
    });
    const faces: [string, string, string, { width: number; height: number }][] = [
      ['kitchen', 'kitchen.montmartre@ocpizza.test', '/kitchen', TABLET],
      ['driver', 'driver2.montmartre@ocpizza.test', '/driver', PHONE],
      ['counter', 'counter.montmartre@ocpizza.test', '/counter', TABLET],
      ['counter-phone', 'counter.montmartre@ocpizza.test', '/counter', PHONE],
      ['manager', 'manager.montmartre@ocpizza.test', '/manager', TABLET],
      ['manager-hq', 'admin@ocpizza.test', '/manager', PHONE],
      ['system', 'admin@ocpizza.test', '/manager/system', TABLET],
      ['system-phone', 'admin@ocpizza.test', '/manager/system', PHONE],
    ];
    // one test per screen: each signs in, loads live and runs axe (2 s on a quiet machine); eight in one
    // test once went past two minutes in a full run on a busy machine, and said nothing of which screen was slow.
    // Head office sees every shop the suite made: by the end of a full run that is some 170 shops and
    // hundreds of open orders, 80,000 elements on its page, which axe takes 15 s to read on a quiet
    // machine and took 59 s in a full run; hence three minutes each, and a screenshot of the screen as
    // its user sees it rather than of the whole page (117,000 pixels tall for head office on a phone)
    for (const [name, email, path, viewport] of faces) {
      it(`${name} (${path}, ${viewport.width}×${viewport.height})`, async () => {
        const { ctx, page } = await app.staffPage(email, viewport);
        try {
          await page.goto(`${app.base}${path}`);
          await live(page);
          if (path === '/manager/system') await page.locator('[data-tile=queues]').waitFor({ timeout: 15_000 });
          expect(await seriousViolations(page), name).toEqual([]);
          await page.screenshot({ path: `${SHOTS}/a11y-${name}.png` });
        } finally {
          await ctx.close();
        }
      }, 180_000);
    }
  });
});

describe('French typography', () => {
  it('keeps ! ? ; : on the line of the word before them in every French message (a no-break space, never a plain one)', () => {
    const plain: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'string') {
        if (/ [!?;:]/.test(v)) plain.push(`${path}: ${v}`);
      } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    };
    walk(messagesOf('fr'), '');
    expect(plain).toEqual([]);
  });
});
