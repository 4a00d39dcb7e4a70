// The demo simulator (scripts/simulate.ts) against a real server that restarts under it: its
// customers, kitchen and drivers carry on once the server is back, the sessions the server forgot
// are opened again, and it says so. The server runs with the limit per address docs/simulator.md gives
// for a simulation. Real Postgres, Redis, Socket.io and workers; a shop of the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { childEnv, createShop, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { fileDatabase } from '../file-database.ts';

// the setting docs/simulator.md gives for a simulation; dispatch offers only to drivers whose phone is present
const ENV = { RATE_LIMIT_ORDERS: '1000', DISPATCH_PRESENT_ONLY: 'true', DISPATCH_RETRY_MS: '300', PREP_TARGET_SECONDS: '600' };

const stack = useStack({ env: ENV, workers: true });
let sim: ChildProcess | null = null;
let output = '';

afterAll(() => {
  if (sim && sim.exitCode === null) sim.kill('SIGKILL');
});

/** The orders of the shop, each with when it was placed and delivered. */
const ordersOf = async (shop: number) =>
  (await stack.pool.query<{ id: string; status: string; created_at: Date; preparing_at: Date | null; delivered_at: Date | null }>(
    'SELECT id, status, created_at, preparing_at, delivered_at FROM orders WHERE pizzeria_id = $1',
    [shop],
  )).rows;

describe('the simulator', () => {
  it('carries on after the server restarts: it says the server went away and came back, logs in again where its sessions were lost, and orders placed after the restart are baked and delivered', async () => {
    const shop = await createShop(stack.pool, 'sim');
    sim = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/simulate.ts', '--base', stack.base, '--shops', shop.slug, '--rate', '30', '--pace', '60', '--drivers', '2', '--decline', '0'],
      {
        env: childEnv({ NODE_ENV: 'test', DATABASE_URL: fileDatabase().databaseUrl, QUEUE_PREFIX: fileDatabase().queuePrefix, DEMO_PASSWORD: inject('demoPassword'), RATE_LIMIT_ORDERS: '1000' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    sim.stdout!.on('data', (d) => (output += d));
    sim.stderr!.on('data', (d) => (output += d));
    const said = (text: string) => output.includes(text);

    // the evening has started: orders come in and the kitchen bakes them
    await waitUntil(async () => (await ordersOf(shop.id)).some((o) => o.preparing_at), 30_000, `the kitchen to start an order:\n${output}`);
    expect(said('within RATE_LIMIT_ORDERS=1000')).toBe(true);

    // the server stops; meanwhile the sessions of the shop's staff are lost (a restored database, an expiry)
    await stack.stopApp();
    await stack.pool.query(`DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)`, [`%.${shop.slug}@ocpizza.test`]);
    await waitUntil(() => said('server unreachable'), 15_000, `the simulator to notice:\n${output}`);
    await stack.startApp();
    const restartedAt = new Date();

    // an order placed after the restart goes all the way: placed, baked, taken by a driver, delivered
    await waitUntil(
      async () => (await ordersOf(shop.id)).some((o) => o.created_at > restartedAt && o.status === 'delivered'),
      40_000,
      `an order placed after the restart to be delivered:\n${output}`,
    );
    expect(said('server back after')).toBe(true);
    expect(output).toMatch(/session gone, logging in again|session was refused/);
    expect(output).not.toMatch(/stopped with an error|refused a customer call/);
    expect(sim.exitCode).toBeNull();
  }, 90_000);

  it("drives a shop's stations and its pass, and ends with the evening's figures: orders handed over, the time from received to handed over, the most tickets on each screen", async () => {
    const shop = await createShop(stack.pool, 'sim-stations');
    for (const [position, [name, isPass, kinds]] of ([['Four', false, ['pizza']], ['Froid', false, ['drink', 'dessert']], ['Passe', true, []]] as const).entries()) {
      await stack.pool.query('INSERT INTO kitchen_stations (pizzeria_id, name, is_pass, position, kinds) VALUES ($1, $2, $3, $4, $5::product_category[])', [shop.id, name, isPass, position, kinds]);
    }
    let evening = '';
    const run = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/simulate.ts', '--base', stack.base, '--shops', shop.slug, '--rate', '30', '--pace', '60', '--drivers', '2', '--decline', '0', '--minutes', '0.5'],
      {
        env: childEnv({ NODE_ENV: 'test', DATABASE_URL: fileDatabase().databaseUrl, QUEUE_PREFIX: fileDatabase().queuePrefix, DEMO_PASSWORD: inject('demoPassword'), RATE_LIMIT_ORDERS: '1000' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    run.stdout!.on('data', (d) => (evening += d));
    run.stderr!.on('data', (d) => (evening += d));
    const code = await new Promise<number | null>((resolve) => run.on('exit', resolve));
    expect(code, evening).toBe(0);
    expect(evening).toContain('works with stations: Four, Froid, Passe');

    // every order the pass sent out was crossed off line by line at its stations first
    const { rows } = await stack.pool.query<{ status: string; lines: number; crossed: number }>(
      `SELECT o.status, count(i.id)::int AS lines, count(i.done_at)::int AS crossed
       FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.pizzeria_id = $1 GROUP BY o.id`,
      [shop.id],
    );
    const sentOut = rows.filter((r) => ['ready', 'out_for_delivery', 'delivered'].includes(r.status));
    expect(sentOut.length, evening).toBeGreaterThan(0);
    expect(sentOut.every((r) => r.crossed === r.lines)).toBe(true);
    // the figures: handed over, how long it took, and the screens at their busiest
    const figures = evening.match(/(\d+) handed over, received → handed over median ([\d.]+) min, p90 ([\d.]+) min \(to start [\d.–]+(?: min)?, to make [\d.–]+(?: min)?, to hand over [\d.–]+(?: min)?\); most tickets on a screen at once: Four (\d+), Froid (\d+), Passe (\d+)/);
    expect(figures, evening).not.toBeNull();
    expect(Number(figures![1])).toBeGreaterThan(0);
    expect(Number(figures![3])).toBeGreaterThanOrEqual(Number(figures![2]));
    expect(Number(figures![6])).toBeGreaterThanOrEqual(Number(figures![4]));
  }, 90_000);
});
