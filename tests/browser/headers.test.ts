import { describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, live, useApp } from './harness.ts';

// Every response carries the usual security headers; the pages a Content Security Policy with a
// nonce for SvelteKit's start-up script; and the pages work under it: nothing is blocked.
const app = useApp('headers');

describe('security headers', () => {
  it('on pages, the API and the health checks', async () => {
    for (const path of ['/', '/login', '/api/pizzerias', '/readyz', '/nowhere']) {
      const res = await fetch(app.base + path);
      const h = res.headers;
      expect(h.get('x-content-type-options'), path).toBe('nosniff');
      expect(h.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
      expect(h.get('x-frame-options'), path).toBe('DENY');
      expect(h.get('permissions-policy'), path).toContain('geolocation=(self)');
      expect(h.get('x-powered-by'), path).toBeNull();
      const csp = h.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      if (path.startsWith('/api') || path === '/readyz') expect(csp).toBe("default-src 'none'; frame-ancestors 'none'");
    }
    const page = await fetch(app.base + '/login');
    const csp = page.headers.get('content-security-policy')!;
    // scripts from this site, Stripe.js for its card form, and SvelteKit's start-up script by its nonce: nothing inline otherwise
    expect(csp).toMatch(/script-src 'self' https:\/\/js\.stripe\.com https:\/\/\*\.js\.stripe\.com 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("object-src 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(await page.text()).toContain(`nonce="${nonce}"`);
  });

  it('blocks nothing the pages need: the storefront with its map, the login, the manager and the driver', async () => {
    const violations: string[] = [];
    const watch = async (page: import('playwright-core').Page) => {
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
    };
    const ctx = await app.browser.newContext({ viewport: PHONE });
    const shopper = await ctx.newPage();
    await watch(shopper);
    await shopper.goto(`${app.base}/?shop=bastille`);
    await live(shopper);
    await shopper.goto(`${app.base}/login`);
    await shopper.locator('input[name=email]').waitFor();
    const { page: manager } = await app.staffPage('manager.bastille@ocpizza.test', DESKTOP);
    await watch(manager);
    await manager.goto(`${app.base}/manager`);
    await live(manager);
    await manager.getByTestId('fleet-map').locator('.leaflet-container').waitFor();
    const { page: driver } = await app.staffPage('driver2.bastille@ocpizza.test', PHONE);
    await watch(driver);
    await driver.goto(`${app.base}/driver`);
    await live(driver);
    expect(violations).toEqual([]);
    await ctx.close();
  });
});
