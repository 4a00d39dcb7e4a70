import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import pg from 'pg';
import { RAISED_ORDER_LIMITS, createShop, freePort } from '../helpers.ts';
import { fileDatabase } from '../file-database.ts';

// The built app, as users run it: `node dist/server/index.js` and `node dist/workers/index.js`
// against this run's database, driven by Debian's Chromium.
export const SHOTS = 'test-results/screenshots';
export const PHONE = { width: 390, height: 844 };
export const TABLET = { width: 820, height: 1180 };
export const DESKTOP = { width: 1280, height: 900 };

export interface App {
  base: string;
  browser: Browser;
  pool: pg.Pool;
  logs: string[];
  /**
   * Holds the workers process still (SIGSTOP), as a busy or slow workers process would be, until the
   * returned function lets it go on (SIGCONT): what a page shows while the workers have not done
   * their part yet.
   */
  holdWorkers(): () => void;
  /** A logged-in staff member's page. */
  staffPage(email: string, viewport?: { width: number; height: number }, context?: BrowserContextOptions): Promise<{ ctx: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

/**
 * The Chromium the tests drive: CHROMIUM_PATH, else Debian's headless shell (chromium-headless-shell,
 * the same Blink without the browser's windowing and GPU process: what Playwright runs headless by
 * default), else the full browser.
 */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : '/usr/bin/chromium';
}

async function waitReady(url: string, logs: string[]) {
  // a minute at most: with files in parallel, a busy machine can take that long to start a server
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server never became ready:\n${logs.join('')}`);
}

/** Ends a child process: SIGTERM, then SIGKILL if it is still there after 10 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(late);
}

/** Starts the built server and workers on a free port with this run's database and a queue prefix of their own. */
export async function startApp(name: string, extraEnv: Record<string, string> = {}): Promise<App> {
  if (!existsSync('build/handler.js') || !existsSync('dist/server/index.js')) throw new Error('run `npm run build` first');
  mkdirSync(SHOTS, { recursive: true });
  const logs: string[] = [];
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: fileDatabase().databaseUrl,
    QUEUE_PREFIX: `${fileDatabase().queuePrefix}_${name}`,
    DEMO_PASSWORD: inject('demoPassword'),
    GEOCODER_URL: inject('geocoderUrl'),
    // the test geocoder answers from the test runner's own process, which a loaded machine can keep
    // busy past the 2.5 s a real one gets: a delivery checkout would then be refused as not located
    GEOCODER_TIMEOUT_MS: '10000',
    MAP_TILE_URL: 'none',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // every page of every browser test comes from 127.0.0.1: tests/road/socket-limits.test.ts checks the per-address limits
    SOCKET_CONNECTS_PER_MINUTE: '100000',
    SOCKET_MAX_PER_ADDRESS: '100000',
    ...RAISED_ORDER_LIMITS,
    ...extraEnv,
  };
  const start = (script: string) => {
    const child: ChildProcess = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => logs.push(String(d)));
    child.stderr!.on('data', (d) => logs.push(String(d)));
    return child;
  };
  const pool = new pg.Pool({ connectionString: fileDatabase().databaseUrl, max: 2 });
  const server = start('dist/server/index.js');
  const workers = start('dist/workers/index.js');
  let browser: Browser;
  try {
    await waitReady(`${base}/readyz`, logs);
    browser = await sharedBrowser();
    appBases.add(base);
  } catch (err) {
    // never leave the app running behind a test that could not start
    await Promise.all([server, workers].map(stopProcess));
    await pool.end();
    throw err;
  }
  return {
    base,
    browser,
    pool,
    logs,
    holdWorkers() {
      workers.kill('SIGSTOP');
      return () => void workers.kill('SIGCONT');
    },
    async staffPage(email, viewport = { width: 1280, height: 800 }, context = {}) {
      // `context`: a browser set up otherwise (its language: { locale: 'en-US' })
      const ctx = await browser.newContext({ ...context, viewport });
      const page = await ctx.newPage();
      await page.goto(`${base}/login`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', inject('demoPassword'));
      await page.click('button.btn');
      try {
        await page.waitForURL((u) => !u.pathname.startsWith('/login'));
      } catch (err) {
        // a sign-in that did not leave the page once in a full run (the navigation waited 30 s):
        // say where it stood, so the next one can be read rather than guessed
        const where = await page.evaluate(() => ({
          url: location.href,
          email: (document.querySelector('input[name=email]') as HTMLInputElement | null)?.value ?? null,
          alert: document.querySelector('[role=alert]')?.textContent ?? null,
          button: document.querySelector('button.btn')?.textContent ?? null,
        })).catch((e: Error) => ({ evaluate: e.message }));
        throw new Error(`${email}'s sign-in did not leave /login: ${JSON.stringify(where)}\nthe app's last lines:\n${logs.slice(-20).join('')}`, { cause: err });
      }
      return { ctx, page };
    },
    async stop() {
      // the file's pages and their contexts closed (a file runs one app at a time); the browser itself serves the next file
      appBases.delete(base);
      await Promise.all(browser.contexts().map((c) => c.close().catch(() => {})));
      // the app's processes end before the file's database is dropped: a graceful stop, then a kill
      await Promise.all([server, workers].map(stopProcess));
      await pool.end();
    },
  };
}

/**
 * One Chromium for the files a test process runs one after the other (the browser tier keeps its
 * modules loaded: vitest.config.ts): starting one cost 1.6 s of processor time on CI's 2-core
 * host, once a file. Each file still has contexts of its own (cookies, storage, caches), closed when
 * its app stops; a browser that died is started again.
 */
let shared: Promise<Browser> | null = null;
/** The apps a test process has running: their pages are waited for until hydrated (waitForHydration). */
const appBases = new Set<string>();
async function sharedBrowser(): Promise<Browser> {
  const running = await shared?.catch(() => null);
  if (running?.isConnected()) return running;
  shared = chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  }).then((b) => {
    waitForHydration(b, appBases);
    return b;
  });
  return shared;
}

/**
 * Every page of the app a test loads (goto, reload, back, forward) is waited for until it answers taps,
 * as a person waits for the page to be ready: the root layout marks `<html data-hydrated>` once the
 * page's script has taken over the server's HTML. A tap before then reaches a button with no handler
 * and does nothing, which a loaded machine made a test meet now and then (a manager's print button
 * clicked 40 ms after the page came). A page that is not the app's HTML (a PDF, a JSON answer, a
 * provider's page), a browser without JavaScript and a load asked to stop short of the load event
 * (a test of a page whose scripts are late) are not waited for.
 */
function waitForHydration(browser: Browser, bases: ReadonlySet<string>) {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options?: BrowserContextOptions) => {
    const ctx = await newContext(options);
    if (options?.javaScriptEnabled === false) return ctx;
    const newPage = ctx.newPage.bind(ctx);
    ctx.newPage = async () => {
      const page = await newPage();
      for (const how of ['goto', 'reload', 'goBack', 'goForward'] as const) {
        const navigate = (page[how] as (...a: unknown[]) => ReturnType<Page['reload']>).bind(page);
        (page as unknown as Record<string, unknown>)[how] = async (...args: unknown[]) => {
          const response = await navigate(...args);
          // a test that asks for less than the load (waitUntil: 'commit' or 'domcontentloaded') acts before the scripts on purpose
          const options = args.find((a): a is { waitUntil?: string } => typeof a === 'object' && a !== null);
          if (options?.waitUntil === 'commit' || options?.waitUntil === 'domcontentloaded') return response;
          const html = response?.headers()['content-type']?.startsWith('text/html');
          if (html && [...bases].some((base) => page.url().startsWith(base))) await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
          return response;
        };
      }
      return page;
    };
    return ctx;
  };
}

/** Resolves once the page shows that its socket is live: only then can it see a change we cause. */
export const live = (page: Page) => page.locator('[data-live=live]').first().waitFor({ timeout: 15_000 });

/**
 * On a kitchen wall, brings an order's ticket into view as a cook would: the make line shows a
 * screen of tickets at a time, so a ticket on another screen is reached by its chip (a ticket to
 * start) or by turning the screens. A seeded shop carries every earlier file's orders, so its
 * newest ticket is often not on the first screen.
 */
export async function ticketInView(kitchen: Page, orderId: string, timeout = 15_000): Promise<void> {
  const ticket = kitchen.locator(`article[data-order="${orderId}"]`);
  const chip = kitchen.locator(`[data-elsewhere="${orderId}"]`);
  const before = kitchen.getByTestId('page-before');
  const after = kitchen.getByTestId('page-after');
  let forward = true;
  // a wall that fits on one screen has no screen buttons, and a chip or a button can go between the
  // look and the tap (the ticket just took its place here): never wait for one, as Playwright's
  // isEnabled and click do (30 s each, twice the whole time given) while the ticket is on its way
  const tap = { timeout: 1000 };
  const usable = async (button: typeof after) => (await button.count()) > 0 && (await button.isEnabled(tap).catch(() => false));
  for (const until = Date.now() + timeout; Date.now() < until; ) {
    if (await ticket.count()) return;
    if (await chip.count()) await chip.click(tap).catch(() => undefined);
    else if (forward && (await usable(after))) await after.click(tap).catch(() => undefined);
    else if (await usable(before)) {
      forward = false;
      await before.click(tap).catch(() => undefined);
    } else forward = true;
    await kitchen.waitForTimeout(150);
  }
  // say what the wall showed instead, so that a failure can be read rather than guessed
  const wall = await kitchen.evaluate(() => ({
    shown: [...document.querySelectorAll('[data-testid=make-line] article[data-order]')].map((a) => (a as HTMLElement).dataset.order),
    elsewhere: [...document.querySelectorAll('[data-elsewhere]')].map((a) => (a as HTMLElement).dataset.elsewhere),
    page: document.querySelector('[data-testid=page-of]')?.textContent ?? null,
    live: document.querySelector('[data-live]')?.getAttribute('data-live') ?? null,
  })).catch((e: Error) => ({ evaluate: e.message }));
  throw new Error(`the ticket of order ${orderId} never came into view on the kitchen wall: ${JSON.stringify(wall)}`);
}

/**
 * A cook's tap on a ticket. A tap the wall held back because the ticket had just moved says so on the
 * ticket ("touchez-le à nouveau"), and the cook taps again; a tap that neither takes nor says why fails.
 */
export async function cookTap(page: Page, target: Locator, took: () => Promise<boolean>) {
  for (let tries = 0; tries < 4; tries++) {
    await target.click();
    let held = false;
    await expect
      .poll(async () => (await took()) || (held = await page.locator('.moved-hint').isVisible()), { timeout: 10_000 })
      .toBe(true);
    if (!held || (await took())) return;
    await page.locator('.moved-hint').waitFor({ state: 'detached' });
  }
  throw new Error('four taps held back in a row');
}

/** A shop of a test file's own (tests/helpers.ts `createShop`). */
export type Shop = Awaited<ReturnType<typeof createShop>>;

/**
 * The built app for a test file: started before its tests (with a shop of its own when asked),
 * stopped after them. Read its parts in a hook or a test: they exist once the file has started.
 */
export function useApp(
  name: string,
  env: Record<string, string> | (() => Record<string, string>) = {},
  opts: { shop?: string } = {},
): App & { readonly shop: Shop } {
  let app: App | null = null;
  let shop: Shop | null = null;
  beforeAll(async () => {
    app = await startApp(name, typeof env === 'function' ? env() : env);
    if (opts.shop) shop = await createShop(app.pool, opts.shop);
  });
  afterAll(async () => {
    await app?.stop();
  });
  const started = (): App => {
    if (!app) throw new Error('the app starts in beforeAll: read it in a hook or a test');
    return app;
  };
  return {
    get base() { return started().base; },
    get browser() { return started().browser; },
    get pool() { return started().pool; },
    get logs() { return started().logs; },
    get shop() {
      if (!shop) throw new Error(opts.shop ? 'the shop is made in beforeAll' : 'useApp(name, env, { shop: "tag" }) makes a shop');
      return shop;
    },
    holdWorkers: () => started().holdWorkers(),
    staffPage: (email, viewport, context) => started().staffPage(email, viewport, context),
    stop: () => started().stop(),
  };
}
