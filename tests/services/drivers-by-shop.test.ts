// A shop's drivers are those it employs and does not lend out, and those lent to it:
// `coalesce(lent_to, pizzeria_id)`. Read without an index on that expression, every read of a shop's
// drivers (its map, its plan, its delivery slots, its figures) went through every staff account of
// the chain. With a chain of 5,000 staff accounts, Postgres' plan for each of those reads, as the
// product sends it (a named statement, planned once for any shop: plan_cache_mode
// force_generic_plan, src/lib/server/kernel/db.ts), goes through the index of drivers by shop, and
// finds the same drivers as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { driversOfShops } from '../../src/lib/server/road/drivers.ts';
import { HORIZON_MINUTES, readEvening, readEvenings, shopsToPlan } from '../../src/lib/server/kitchen/plan.ts';
import { readDriverRoom } from '../../src/lib/server/orders/driver-room.ts';
import { shopFigures } from '../../src/lib/server/flows/figures.ts';
import type { Queryable } from '../../src/lib/server/kernel/db.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { testPool } from '../helpers.ts';

const pool = testPool();
afterAll(() => pool.end());

const INDEX = 'users_drivers_by_shop';
const SHOPS = 200;
const STAFF = 5000;

interface Sent {
  text: string;
  values: unknown[];
}

/** A Queryable that keeps every statement it is given, and sends it to the pool. */
function recording(): { q: Queryable; sent: Sent[] } {
  const sent: Sent[] = [];
  const q = {
    query(config: string | pg.QueryConfig, values?: unknown[]) {
      if (typeof config === 'string') sent.push({ text: config, values: values ?? [] });
      else sent.push({ text: config.text, values: config.values ?? values ?? [] });
      return pool.query(config as pg.QueryConfig, values);
    },
  };
  return { q: q as unknown as Queryable, sent };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/** The plan Postgres keeps for the statement as the product sends it: prepared once, generic. */
async function genericPlan(s: Sent): Promise<PlanNode[]> {
  const client = await pool.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE shop_drivers AS ${s.text}`);
    const literal = (v: unknown) => (Array.isArray(v) ? `'{${v.join(',')}}'` : typeof v === 'number' ? String(v) : `'${String(v)}'`);
    const args = s.values.length ? `(${s.values.map(literal).join(', ')})` : '';
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE shop_drivers${args}`);
    return nodesOf(rows[0]['QUERY PLAN'][0].Plan);
  } finally {
    await client.query('DEALLOCATE ALL').catch(() => {});
    client.release();
  }
}

/** The statements among those sent that read a shop's drivers. */
const driverReads = (sent: Sent[]) => sent.filter((s) => s.text.includes('coalesce(u.lent_to, u.pizzeria_id) ='));

async function expectIndexServes(sent: Sent[]) {
  const reads = driverReads(sent);
  expect(reads.length).toBeGreaterThan(0);
  for (const read of reads) {
    const plan = await genericPlan(read);
    const onUsers = plan.filter((n) => n['Relation Name'] === 'users' || n['Index Name'] === INDEX);
    expect(onUsers.map((n) => n['Node Type']), read.text).not.toContain('Seq Scan');
    expect(onUsers.some((n) => n['Index Name'] === INDEX && ['Index Scan', 'Bitmap Index Scan', 'Index Only Scan'].includes(n['Node Type'])), read.text).toBe(true);
  }
}

describe("a shop's drivers, in a chain of 5,000 staff accounts", () => {
  let shop: number;
  let lender: number;
  beforeAll(async () => {
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO pizzerias (slug, name, address, lat, lng)
       SELECT 'chain-' || g, 'OC Pizza chain ' || g, g || ' rue de Test, 75011 Paris', 48.86, 2.37 FROM generate_series(1, $1) g RETURNING id`,
      [SHOPS],
    );
    const ids = rows.map((r) => r.id);
    [shop, lender] = [ids[0], ids[1]];
    // 25 accounts a shop: fifteen drivers, one lent to the next shop, half of them on shift in the
    // first half of the shops, and the rest of the crew
    await pool.query(
      `INSERT INTO users (email, password_hash, name, role, pizzeria_id, on_shift, lent_to)
       SELECT 'staff' || g || '@chain.ocpizza.test', 'x', 'Staff ' || g, r.role, s.id, r.role = 'driver' AND (g / $3) % 2 = 0 AND g % $3 < $3 / 2,
              CASE WHEN g / $3 = 0 THEN s.next END
       FROM generate_series(0, $2 - 1) g
       CROSS JOIN LATERAL (SELECT ($1::int[])[1 + g % array_length($1::int[], 1)] AS id,
                                  ($1::int[])[1 + (g + 1) % array_length($1::int[], 1)] AS next) s
       CROSS JOIN LATERAL (SELECT (CASE WHEN g / $3 < 15 THEN 'driver' WHEN g / $3 < 20 THEN 'kitchen' WHEN g / $3 < 24 THEN 'counter' ELSE 'manager' END)::user_role AS role) r`,
      [ids, STAFF, SHOPS],
    );
    // a driver of the lender's, lent to the shop tonight
    await pool.query(`UPDATE users SET lent_to = $1, on_shift = true WHERE id = (SELECT min(id) FROM users WHERE pizzeria_id = $2 AND role = 'driver' AND lent_to IS NULL)`, [shop, lender]);
    await pool.query('ANALYZE users');
  });

  it('are those it employs and keeps, and those lent to it', async () => {
    const { rows } = await pool.query<{ id: number }>(
      `SELECT id FROM users WHERE role = 'driver' AND active AND ((pizzeria_id = $1 AND lent_to IS NULL) OR lent_to = $1) ORDER BY id`,
      [shop],
    );
    const drivers = await driversOfShops(pool, [shop], null);
    expect(drivers.map((d) => d.id).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    expect(drivers.length).toBeGreaterThan(10);
    expect(drivers.filter((d) => d.homeShop !== shop)).toHaveLength(2);
    expect(drivers.every((d) => d.worksFor === shop)).toBe(true);
  });

  it("read for a batch of shops, are each shop's own, with its own plan, as when the shop is read alone", async () => {
    // orders in both shops' plans: in the oven, waiting, and a delivery ready at the shop
    await pool.query(
      `INSERT INTO orders (pizzeria_id, business_day, number, channel, fulfilment, customer_name, customer_phone, payment_method, payment_status,
                           total_cents, status, tracking_token, pizzas, promised_at, preparing_at, address_street, address_city, address_lat, address_lng)
       SELECT s.shop, current_date, 9000 + g, 'phone', CASE WHEN g % 2 = 0 THEN 'delivery' ELSE 'pickup' END::order_fulfilment, 'Batch', '0600000000',
              'on_delivery', 'pending', 1500, (ARRAY['received', 'preparing', 'ready'])[1 + g % 3]::order_status, 'batch-' || s.shop || '-' || g,
              1 + g % 3, now() + (g * 5 || ' minutes')::interval, CASE WHEN g % 3 = 1 THEN now() - interval '2 minutes' END, g || ' rue de Test', 'Paris', 48.87, 2.36
       FROM (VALUES ($1::int), ($2::int)) AS s(shop), generate_series(1, 6) g`,
      [shop, lender],
    );
    const road = { mode: 'scooter' as const, eta: DEFAULT_ETA_SETTINGS };
    const now = Date.now();
    const together = await readEvenings(pool, [shop, lender], null, road, now);
    expect([...together.keys()].sort()).toEqual([shop, lender].sort());
    for (const s of [shop, lender]) {
      const alone = await readEvening(pool, s, null, road, now);
      expect(together.get(s)).toEqual(alone);
      // six orders, of which a pickup ready at the counter: no longer the plan's
      expect(alone.inputs.orders).toHaveLength(5);
      expect(alone.drivers.every((d) => d.worksFor === s)).toBe(true);
      expect(alone.inputs.drivers.map((d) => d.id).sort()).toEqual(alone.drivers.filter((d) => d.onShift).map((d) => d.id).sort());
      // the pizzas in its own oven alone
      expect(alone.inputs.inLine).toBe(2 + 2);
    }
    // the lent driver is in the plan of the shop they were lent to, not of their own
    const lent = together.get(shop)!.drivers.find((d) => d.homeShop === lender && d.onShift)!;
    expect(lent).toBeDefined();
    expect(together.get(lender)!.inputs.drivers.map((d) => d.id)).not.toContain(lent.id);
    expect(together.get(shop)!.inputs.drivers.map((d) => d.id)).toContain(lent.id);
  });

  it('are those the plan counts: a shop with a driver on shift or an order to plan, as before', async () => {
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id');
    const all = rows.map((r) => r.id);
    // the plan's read as it was written before the index (one read with OR)
    const { rows: before } = await pool.query<{ id: number }>(
      `SELECT p.id FROM pizzerias p WHERE p.id = ANY($1::int[])
         AND (EXISTS (SELECT 1 FROM orders o WHERE o.pizzeria_id = p.id
                        AND ((o.status = 'received' AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL OR o.fire_at < now() + make_interval(mins => $2)))
                             OR o.status = 'preparing' OR (o.status = 'ready' AND o.fulfilment = 'delivery' AND NOT o.awaiting_decision)))
           OR EXISTS (SELECT 1 FROM users u WHERE u.role = 'driver' AND u.active AND u.on_shift AND coalesce(u.lent_to, u.pizzeria_id) = p.id))
       ORDER BY p.id`,
      [all, HORIZON_MINUTES],
    );
    const now = [...(await shopsToPlan(pool, all))].sort((a, b) => a - b);
    expect(now).toEqual(before.map((r) => r.id));
    expect(now.length).toBeGreaterThan(SHOPS / 2);
    expect(now.length).toBeLessThan(all.length);
    expect(now).toContain(shop);
  });

  it('are found through the index on the shop they work for, on its map and in its plan', async () => {
    const { q, sent } = recording();
    await driversOfShops(q, [shop], null);
    await shopsToPlan(q, [shop]);
    await expectIndexServes(sent);
  });

  it('are counted through the index for its delivery slots and its figures', async () => {
    const { q, sent } = recording();
    await readDriverRoom(q, shop, { mode: 'scooter' });
    await shopFigures(q, [shop], { speed: false });
    await expectIndexServes(sent);
  });
});
